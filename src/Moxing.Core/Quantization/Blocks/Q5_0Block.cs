using Moxing.Core.Quantization.Encoders;
using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>Q5_0: fp16 scale d, a 32-bit word of fifth bits (bit i belongs to weight i), 32 nibbles; w = (q - 16) * d.</summary>
internal readonly unsafe struct Q5_0Block : IQ8Dot, IBlockEncoder
{
    public static int BlockSize => 32;
    public static int BlockBytes => 22;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        var d = S.Broadcast(Fp16.Read(block));
        var qh = Unsafe.ReadUnaligned<uint>(block + 2);
        var qs = block + 6;
        for (var j = 0; j < 16; j += S.Count)
        {
            var b = S.Bytes(qs + j);
            var lo = S.Or(S.And(b, 15), S.ShiftLeft(S.BitsOf(qh >> j), 4));
            var hi = S.Or(S.ShiftRight(b, 4), S.ShiftLeft(S.BitsOf(qh >> (j + 16)), 4));
            sink.Scaled(j, S.ToFloat(S.Subtract(lo, 16)), d, 0);
            sink.Scaled(j + 16, S.ToFloat(S.Subtract(hi, 16)), d, 1);
        }
    }

    public static bool SignedCodes => false;
    public static int LargestCode => 31;
    public static bool HasOffset => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Codes<L, TB, TS, TF>(byte* block)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct => L.Or(L.Nibbles(block + 6), L.Bits(Unsafe.ReadUnaligned<uint>(block + 2), 16));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Scale(byte* block) => Fp16.Read(block);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Offset(byte* block, float scale) => -16 * scale;

    /// <summary>ggml's quantize_row_q5_0_ref.</summary>
    public static void Encode(float* src, byte* dst)
    {
        var codes = stackalloc byte[32];
        Fp16.Write(dst, LegacyCodes.Symmetric(src, 16, 31, codes));
        Pack(codes, dst);
    }

    /// <summary>ggml's quantize_row_q5_0_impl.</summary>
    public static void EncodeWeighted(float* src, byte* dst, float* importance, float rowSigma2)
    {
        var codes = stackalloc byte[32];
        Fp16.Write(dst, LegacyCodes.WeightedSymmetric(src, 16, importance, rowSigma2, codes));
        Pack(codes, dst);
    }

    private static void Pack(byte* codes, byte* dst)
    {
        LegacyCodes.PackFifthBits(codes, dst + 2);
        LegacyCodes.PackNibbles(codes, dst + 6);
    }
}
