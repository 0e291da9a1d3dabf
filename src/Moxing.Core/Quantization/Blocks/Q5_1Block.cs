using Moxing.Core.Quantization.Encoders;
using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>Q5_1: fp16 scale d and minimum m, a 32-bit word of fifth bits, 32 nibbles; w = q * d + m.</summary>
internal readonly unsafe struct Q5_1Block : IQ8Dot, IBlockEncoder
{
    public static int BlockSize => 32;
    public static int BlockBytes => 24;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        var d = S.Broadcast(Fp16.Read(block));
        var m = S.Broadcast(Fp16.Read(block + 2));
        var qh = Unsafe.ReadUnaligned<uint>(block + 4);
        var qs = block + 8;
        for (var j = 0; j < 16; j += S.Count)
        {
            var b = S.Bytes(qs + j);
            var lo = S.Or(S.And(b, 15), S.ShiftLeft(S.BitsOf(qh >> j), 4));
            var hi = S.Or(S.ShiftRight(b, 4), S.ShiftLeft(S.BitsOf(qh >> (j + 16)), 4));
            sink.ScaledOffset(j, S.ToFloat(lo), d, m, 0);
            sink.ScaledOffset(j + 16, S.ToFloat(hi), d, m, 1);
        }
    }

    public static bool SignedCodes => false;
    public static int LargestCode => 31;
    public static bool HasOffset => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Codes<L, TB, TS, TF>(byte* block)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct => L.Or(L.Nibbles(block + 8), L.Bits(Unsafe.ReadUnaligned<uint>(block + 4), 16));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Scale(byte* block) => Fp16.Read(block);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Offset(byte* block, float scale) => Fp16.Read(block + 2);

    /// <summary>ggml's quantize_row_q5_1_ref (which does not clamp codes: a 32 would wrap as in ggml).</summary>
    public static void Encode(float* src, byte* dst)
    {
        var codes = stackalloc byte[32];
        Fp16.Write(dst, LegacyCodes.Affine(src, 31, int.MaxValue, codes, out var min));
        Fp16.Write(dst + 2, min);
        Pack(codes, dst);
    }

    /// <summary>ggml's quantize_row_q5_1_impl.</summary>
    public static void EncodeWeighted(float* src, byte* dst, float* importance, float rowSigma2)
    {
        var codes = stackalloc byte[32];
        Fp16.Write(dst, LegacyCodes.WeightedAffine(src, 31, importance, rowSigma2, codes, out var min));
        Fp16.Write(dst + 2, min);
        Pack(codes, dst);
    }

    private static void Pack(byte* codes, byte* dst)
    {
        LegacyCodes.PackFifthBits(codes, dst + 4);
        LegacyCodes.PackNibbles(codes, dst + 8);
    }
}
