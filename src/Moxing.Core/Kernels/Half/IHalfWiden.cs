namespace Moxing.Core.Kernels.Half;

/// <summary>16-bit float weights read as placed floats (<see cref="HalfMatVec"/>) on one instruction set (the
/// <see cref="SimdPath"/> of the same name decides whether it runs).</summary>
/// <typeparam name="TF">A float vector of <c>Halves / 2</c> lanes.</typeparam>
/// <typeparam name="TH">A vector of <c>Halves</c> 16-bit lanes.</typeparam>
internal unsafe interface IHalfWiden<TF, TH> where TF : struct where TH : struct
{
    /// <summary>Halves read at once.</summary>
    static abstract int Halves { get; }

    /// <summary>Sixteen-bit lanes of zero.</summary>
    static abstract TH NoMagnitudes { get; }

    /// <summary>The values at <paramref name="p"/> placed as floats of format <typeparamref name="W"/>, the low four of each 128-bit
    /// lane into <paramref name="low"/> and the high four into <paramref name="high"/>; for a checked format each value's
    /// magnitude bits go into the lane maximum <paramref name="magnitudes"/>.</summary>
    static abstract void Widen<W>(byte* p, ref TH magnitudes, out TF low, out TF high) where W : struct, IWideFormat;

    /// <summary>True when no magnitude in <paramref name="magnitudes"/> is an infinity's or a NaN's (0x7C00 or more).</summary>
    static abstract bool Finite(TH magnitudes);
}
