using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>Q8_0: fp16 scale d, 32 signed bytes; w = q * d.</summary>
internal readonly unsafe struct Q8_0Block : IBlockEncoder, IQ8Dot
{
    public static int BlockSize => 32;
    public static int BlockBytes => 34;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        var d = S.Broadcast(Fp16.Read(block));
        var qs = block + 2;
        for (nint j = 0; j < 32; j += 2 * S.Count)
        {
            sink.Scaled(j, S.ToFloat(S.SBytes(qs + j)), d, 0);
            sink.Scaled(j + S.Count, S.ToFloat(S.SBytes(qs + j + S.Count)), d, 1);
        }
    }

    /// <summary>ggml's quantize_row_q8_0_ref: d = max|x| / 127, q = roundf(x / d) (half away from zero).</summary>
    public static void Encode(float* src, byte* dst)
    {
        var amax = 0f;
        for (var j = 0; j < 32; j++)
        {
            var v = MathF.Abs(src[j]);
            amax = amax > v ? amax : v;
        }
        var d = amax / 127;
        var id = d != 0 ? 1 / d : 0;
        Fp16.Write(dst, d);
        for (var j = 0; j < 32; j++)
            dst[2 + j] = (byte)(sbyte)MathF.Round(src[j] * id, MidpointRounding.AwayFromZero);
    }

    public static bool SignedCodes => true;
    public static int LargestCode => 127;
    public static bool HasOffset => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Codes<L, TB, TS, TF>(byte* block)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct => L.Load(block + 2);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Scale(byte* block) => Fp16.Read(block);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Offset(byte* block, float scale) => 0;

    /// <summary>ggml ignores importance for Q8_0.</summary>
    public static void EncodeWeighted(float* src, byte* dst, float* importance, float rowSigma2) => Encode(src, dst);
}
