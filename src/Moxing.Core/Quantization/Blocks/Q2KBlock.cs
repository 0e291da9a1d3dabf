using Moxing.Core.Quantization.Encoders;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// Q2_K: 256 weights as 16 groups of 16 with 4-bit scales and mins (scales[16]), 2-bit codes (qs[64]), fp16 d and dmin;
/// w = (d * sc) * q - dmin * m.
/// </summary>
internal readonly unsafe struct Q2KBlock : IQ8KDot, IBlockEncoder
{
    public static int BlockSize => 256;
    public static int BlockBytes => 84;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        var packed = Vector128.Load(block);
        var d = Fp16.Read(block + 80);
        var dmin = -Fp16.Read(block + 82);
        ScaleSet scales = new(), mins = new();
        scales.Set(packed & Vector128.Create((byte)15), d, d);
        mins.Set(Vector128.ShiftRightLogical(packed, 4), dmin, dmin);
        for (var half = 0; half < 2; half++)
        {
            var q = block + 16 + 32 * half;
            for (var j = 0; j < 4; j++)
            {
                var shift = 2 * j;
                var group = 8 * half + 2 * j;
                nint index = 128 * half + 32 * j;
                TF d0 = S.Broadcast(scales[group]), m0 = S.Broadcast(mins[group]);
                TF d1 = S.Broadcast(scales[group + 1]), m1 = S.Broadcast(mins[group + 1]);
                for (nint l = 0; l < 16; l += S.Count)
                {
                    sink.ScaledOffset(index + l, S.ToFloat(S.And(S.ShiftRight(S.Bytes(q + l), shift), 3)), d0, m0, 0);
                    sink.ScaledOffset(index + 16 + l, S.ToFloat(S.And(S.ShiftRight(S.Bytes(q + 16 + l), shift), 3)), d1, m1, 1);
                }
            }
        }
    }

    public static bool SignedCodes => false;
    public static int LargestCode => 3;
    public static KMins Mins => KMins.OwnScale;

    public static float Scale(byte* block) => Fp16.Read(block + 80);
    public static float MinScale(byte* block) => -Fp16.Read(block + 82);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Chunk<L, TB, TS, TF>(byte* block, int c)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        L.And(L.ShiftRight(L.Load(block + 16 + 32 * (c >> 2)), 2 * (c & 3)), 3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Quad<L, TB, TS, TF>(byte* block, int h, out TB c0, out TB c1, out TB c2, out TB c3)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        ChunkQuads.Separate<Q2KBlock, L, TB, TS, TF>(block, h, out c0, out c1, out c2, out c3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB PairScales<L, TB, TS, TF>(byte* a, byte* b, out TB minimumsA, out TB scalesB, out TB minimumsB)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        ChunkQuads.SeparateScales<Q2KBlock, L, TB, TS, TF>(a, b, out minimumsA, out scalesB, out minimumsB);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Scales<L, TB, TS, TF>(byte* block, out TB minimums)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var packed = Vector128.Load(block);
        minimums = L.Widen(Vector128.ShiftRightLogical(packed, 4).AsSByte(), 1);
        return GroupScales.ChunkOrder<L, TB, TS, TF>((packed & Vector128.Create((byte)15)).AsSByte());
    }

    /// <summary>ggml's quantize_row_q2_K_ref: per 16 weights a scale and minimum (mean absolute error), 4-bit each under d and dmin.</summary>
    public static void Encode(float* src, byte* dst)
    {
        var codes = stackalloc byte[256];
        var aux = stackalloc byte[16];
        var weights = stackalloc float[16];
        var scales = stackalloc float[16];
        var mins = stackalloc float[16];
        float maxScale = 0, maxMin = 0;
        for (var j = 0; j < 16; j++)
        {
            for (var l = 0; l < 16; l++) weights[l] = MathF.Abs(src[16 * j + l]);
            scales[j] = ScaleSearch.AffineCodes(16, 3, src + 16 * j, weights, codes + 16 * j, out mins[j], aux, -0.5f, 0.1f, 15, true);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        if (maxScale > 0)
        {
            var iscale = 15f / maxScale;
            for (var j = 0; j < 16; j++) dst[j] = (byte)ScaleSearch.NearestInt(iscale * scales[j]);
            Fp16.Write(dst + 80, maxScale / 15f);
        }
        else
        {
            new Span<byte>(dst, 16).Clear();
            Fp16.Write(dst + 80, 0f);
        }
        if (maxMin > 0)
        {
            var iscale = 15f / maxMin;
            for (var j = 0; j < 16; j++) dst[j] |= (byte)(ScaleSearch.NearestInt(iscale * mins[j]) << 4);
            Fp16.Write(dst + 82, maxMin / 15f);
        }
        else Fp16.Write(dst + 82, 0f);
        RequantizeAndPack(src, dst, codes);
    }

    /// <summary>ggml's quantize_row_q2_K_impl.</summary>
    public static void EncodeWeighted(float* src, byte* dst, float* importance, float rowSigma2)
    {
        var codes = stackalloc byte[256];
        var aux = stackalloc byte[16];
        var weights = stackalloc float[16];
        var scales = stackalloc float[16];
        var mins = stackalloc float[16];
        var sw = stackalloc float[16];
        var ls = stackalloc byte[16];
        var lm = stackalloc byte[16];
        var sigma2 = ScaleSearch.SumOfSquares(src, 256) / 256;
        for (var j = 0; j < 16; j++)
        {
            LegacyCodes.ImportanceWeights(src + 16 * j, importance + 16 * j, sigma2, weights, 16);
            for (var l = 0; l < 16; l++) sw[j] += weights[l];
            scales[j] = ScaleSearch.AffineCodes(16, 3, src + 16 * j, weights, codes + 16 * j, out mins[j], aux, -0.9f, 0.05f, 36, false);
        }
        var dm = ScaleSearch.PositiveCodes(16, 15, scales, ls, sw);
        var mm = ScaleSearch.PositiveCodes(16, 15, mins, lm, sw);
        Fp16.Write(dst + 80, dm);
        Fp16.Write(dst + 82, mm);
        for (var j = 0; j < 16; j++) dst[j] = (byte)(ls[j] | (lm[j] << 4));
        RequantizeAndPack(src, dst, codes);
    }

    // Codes again from the stored scales (fp16 d and dmin times the 4-bit fields), then four 2-bit codes per byte.
    private static void RequantizeAndPack(float* src, byte* dst, byte* codes)
    {
        var d = Fp16.Read(dst + 80);
        var dmin = Fp16.Read(dst + 82);
        for (var j = 0; j < 16; j++)
        {
            var dl = d * (dst[j] & 0xF);
            if (dl == 0) continue;
            var ml = dmin * (dst[j] >> 4);
            for (var i = 0; i < 16; i++)
                codes[16 * j + i] = (byte)Math.Clamp(ScaleSearch.NearestInt((src[16 * j + i] + ml) / dl), 0, 3);
        }
        var qs = dst + 16;
        for (var j = 0; j < 256; j += 128)
            for (var l = 0; l < 32; l++)
                qs[j / 4 + l] = (byte)(codes[j + l] | (codes[j + l + 32] << 2) | (codes[j + l + 64] << 4) | (codes[j + l + 96] << 6));
    }
}
