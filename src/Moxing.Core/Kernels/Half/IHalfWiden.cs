namespace Moxing.Core.Kernels.Half;

/// <summary>16-bit float weights read as placed floats (<see cref="HalfMatVec"/>) on one instruction set (the
/// <see cref="SimdPath"/> of the same name decides whether it runs), in their stored order.</summary>
/// <typeparam name="TF">A float vector.</typeparam>
/// <typeparam name="TI">A 32-bit integer vector of as many lanes.</typeparam>
internal unsafe interface IHalfWiden<TF, TI> where TF : struct where TI : struct
{
    /// <summary>Integer lanes of zero.</summary>
    static abstract TI NoMagnitudes { get; }

    /// <summary>The values at <paramref name="p"/>, one per lane in order, placed as floats of format <typeparamref name="W"/>;
    /// for a checked format each value's magnitude bits go into the lane maximum <paramref name="magnitudes"/>.</summary>
    static abstract TF Widen<W>(byte* p, ref TI magnitudes) where W : struct, IWideFormat;

    /// <summary>True when no magnitude in <paramref name="magnitudes"/> is an infinity's or a NaN's (0x7C00 or more).</summary>
    static abstract bool Finite(TI magnitudes);
}
