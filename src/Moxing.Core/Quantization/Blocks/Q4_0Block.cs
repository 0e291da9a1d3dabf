using Moxing.Core.Quantization.Encoders;
using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>Q4_0: fp16 scale d, 32 4-bit codes; w = (q - 8) * d. Low nibbles are weights 0..15, high nibbles 16..31.</summary>
internal readonly unsafe struct Q4_0Block : IQ8Dot, IBlockEncoder
{
    public static int BlockSize => 32;
    public static int BlockBytes => 18;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        var d = S.Broadcast(Fp16.Read(block));
        var qs = block + 2;
        for (nint j = 0; j < 16; j += S.Count)
        {
            var b = S.Bytes(qs + j);
            sink.Scaled(j, S.ToFloat(S.Subtract(S.And(b, 15), 8)), d, 0);
            sink.Scaled(j + 16, S.ToFloat(S.Subtract(S.ShiftRight(b, 4), 8)), d, 1);
        }
    }

    public static bool SignedCodes => false;
    public static int LargestCode => 15;
    public static bool HasOffset => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Codes<L, TB, TS, TF>(byte* block)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct => L.Nibbles(block + 2);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Scale(byte* block) => Fp16.Read(block);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Offset(byte* block, float scale) => -8 * scale;

    /// <summary>ggml's quantize_row_q4_0_ref.</summary>
    public static void Encode(float* src, byte* dst)
    {
        var codes = stackalloc byte[32];
        Fp16.Write(dst, LegacyCodes.Symmetric(src, 8, 15, codes));
        LegacyCodes.PackNibbles(codes, dst + 2);
    }

    /// <summary>ggml's quantize_row_q4_0_impl.</summary>
    public static void EncodeWeighted(float* src, byte* dst, float* importance, float rowSigma2)
    {
        var codes = stackalloc byte[32];
        Fp16.Write(dst, LegacyCodes.WeightedSymmetric(src, 8, importance, rowSigma2, codes));
        LegacyCodes.PackNibbles(codes, dst + 2);
    }
}
