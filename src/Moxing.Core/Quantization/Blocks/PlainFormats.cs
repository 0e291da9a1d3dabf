using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>IEEE float32 elements.</summary>
internal readonly unsafe struct F32Format : IPlainFormat
{
    public static int ElementBytes => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TF Load<S, TF, TI>(byte* p) where S : struct, ILanes<TF, TI> where TF : struct where TI : struct => S.Load((float*)p);
}

/// <summary>bfloat16 elements: the top half of a float32.</summary>
internal readonly unsafe struct BF16Format : IPlainFormat
{
    public static int ElementBytes => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TF Load<S, TF, TI>(byte* p) where S : struct, ILanes<TF, TI> where TF : struct where TI : struct =>
        S.AsFloat(S.ShiftLeft(S.UShorts(p), 16));
}

/// <summary>IEEE half-precision elements, widened exactly (subnormals, infinities and NaN included).</summary>
internal readonly unsafe struct F16Format : IPlainFormat
{
    public static int ElementBytes => 2;

    // 2^112 rebiases a half's exponent (bias 15) to a float's (bias 127); multiplying also normalises subnormals exactly.
    // (A constant expression, not a static field: no class-initialisation check inside the kernels' loops.)
    private const int ExponentRebiasBits = (127 + 112) << 23;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TF Load<S, TF, TI>(byte* p) where S : struct, ILanes<TF, TI> where TF : struct where TI : struct
    {
        var h = S.UShorts(p);
        var magnitudeBits = S.And(h, 0x7FFF);
        var magnitude = S.Multiply(S.AsFloat(S.ShiftLeft(magnitudeBits, 13)), S.Broadcast(BitConverter.Int32BitsToSingle(ExponentRebiasBits)));
        var infinityOrNaN = S.And(S.GreaterThan(magnitudeBits, 0x7BFF), 0x7F800000);
        var sign = S.ShiftLeft(S.And(h, 0x8000), 16);
        return S.AsFloat(S.Or(S.Or(S.AsInt(magnitude), infinityOrNaN), sign));
    }
}
