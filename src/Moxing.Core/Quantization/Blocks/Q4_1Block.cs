using Moxing.Core.Quantization.Encoders;
using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>Q4_1: fp16 scale d and minimum m, 32 4-bit codes; w = q * d + m.</summary>
internal readonly unsafe struct Q4_1Block : IQ8Dot, IBlockEncoder
{
    public static int BlockSize => 32;
    public static int BlockBytes => 20;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        var d = S.Broadcast(Fp16.Read(block));
        var m = S.Broadcast(Fp16.Read(block + 2));
        var qs = block + 4;
        for (nint j = 0; j < 16; j += S.Count)
        {
            var b = S.Bytes(qs + j);
            sink.ScaledOffset(j, S.ToFloat(S.And(b, 15)), d, m, 0);
            sink.ScaledOffset(j + 16, S.ToFloat(S.ShiftRight(b, 4)), d, m, 1);
        }
    }

    public static bool SignedCodes => false;
    public static int LargestCode => 15;
    public static bool HasOffset => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Codes<L, TB, TS, TF>(byte* block)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct => L.Nibbles(block + 4);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Scale(byte* block) => Fp16.Read(block);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Offset(byte* block, float scale) => Fp16.Read(block + 2);

    /// <summary>ggml's quantize_row_q4_1_ref.</summary>
    public static void Encode(float* src, byte* dst)
    {
        var codes = stackalloc byte[32];
        Fp16.Write(dst, LegacyCodes.Affine(src, 15, 15, codes, out var min));
        Fp16.Write(dst + 2, min);
        LegacyCodes.PackNibbles(codes, dst + 4);
    }

    /// <summary>ggml's quantize_row_q4_1_impl.</summary>
    public static void EncodeWeighted(float* src, byte* dst, float* importance, float rowSigma2)
    {
        var codes = stackalloc byte[32];
        Fp16.Write(dst, LegacyCodes.WeightedAffine(src, 15, importance, rowSigma2, codes, out var min));
        Fp16.Write(dst + 2, min);
        LegacyCodes.PackNibbles(codes, dst + 4);
    }
}
