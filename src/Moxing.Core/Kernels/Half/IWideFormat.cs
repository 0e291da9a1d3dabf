using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Moxing.Core.Kernels.Half;

/// <summary>A 16-bit float format whose bits, sign-extended to a 32-bit lane, become a float by a few integer operations
/// (<see cref="HalfMatVec"/>): F16 (scaled by 2^-112) or BF16 (exactly).</summary>
internal interface IWideFormat
{
    /// <summary>True when placed infinities and NaNs are not the format's (F16): their rows take the widening kernel.</summary>
    static abstract bool Checked { get; }

    /// <summary>Sign-extended values, one per lane, as placed floats.</summary>
    static abstract Vector512<float> Place(Vector512<int> wide);

    /// <inheritdoc cref="Place(Vector512{int})"/>
    static abstract Vector256<float> Place(Vector256<int> wide);

    /// <summary>One value's bits as a placed float.</summary>
    static abstract float Place(ushort bits);
}

/// <summary>F16 through <see cref="HalfBits"/>: placed values are the half times 2^-112.</summary>
internal readonly struct F16Format : IWideFormat
{
    public static bool Checked => true;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Place(Vector512<int> wide) => HalfBits.Place(wide);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Place(Vector256<int> wide) => HalfBits.Place(wide);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Place(ushort bits) => HalfBits.Place(bits);
}

/// <summary>BF16: a value shifted into the top 16 bits of a lane is already the float it stands for (infinities and NaNs too).</summary>
internal readonly struct BF16Format : IWideFormat
{
    public static bool Checked => false;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Place(Vector512<int> wide) => Vector512.ShiftLeft(wide, 16).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Place(Vector256<int> wide) => Vector256.ShiftLeft(wide, 16).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Place(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);
}
