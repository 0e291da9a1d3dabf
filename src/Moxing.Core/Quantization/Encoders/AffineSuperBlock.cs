namespace Moxing.Core.Quantization.Encoders;

/// <summary>
/// The scale search shared by Q4_K and Q5_K (ggml's quantize_row_q{4,5}_K_ref and _impl): eight sub-blocks of 32 with a
/// scale and a minimum each, quantized to 6 bits under fp16 d and dmin. Writes the 16-byte header (d, dmin, the 12-byte
/// <see cref="Blocks.KScales"/> packing) and leaves the codes, in [0, nmax], in L.
/// </summary>
internal static unsafe class AffineSuperBlock
{
    /// <summary>The reference search: weights av|x| + |x| per sub-block, then scales and minimums scaled by their maxima.</summary>
    public static void Encode(float* x, byte* block, byte* L, int nmax, float rmin, int nstep)
    {
        var scales = stackalloc float[8];
        var mins = stackalloc float[8];
        var weights = stackalloc float[32];
        var aux = stackalloc byte[32];
        float maxScale = 0, maxMin = 0;
        for (var j = 0; j < 8; j++)
        {
            var xs = x + 32 * j;
            var avX = MathF.Sqrt(ScaleSearch.SumOfSquares(xs, 32) / 32);
            for (var l = 0; l < 32; l++) weights[l] = avX + MathF.Abs(xs[l]);
            scales[j] = ScaleSearch.AffineCodes(32, nmax, xs, weights, L + 32 * j, out mins[j], aux, rmin, 0.1f, nstep, false);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        var invScale = maxScale > 0 ? 63f / maxScale : 0f;
        var invMin = maxMin > 0 ? 63f / maxMin : 0f;
        for (var j = 0; j < 8; j++)
        {
            var ls = Math.Min((byte)63, (byte)ScaleSearch.NearestInt(invScale * scales[j]));
            var lm = Math.Min((byte)63, (byte)ScaleSearch.NearestInt(invMin * mins[j]));
            PackScale(block + 4, j, ls, lm);
        }
        Blocks.Fp16.Write(block, maxScale / 63f);
        Blocks.Fp16.Write(block + 2, maxMin / 63f);
        Requantize(x, block, L, nmax);
    }

    /// <summary>The importance-weighted search: make_qkx3_quants per sub-block, make_qp_quants for the 6-bit scales and minimums.</summary>
    public static void EncodeWeighted(float* x, byte* block, byte* L, int nmax, float* qw, bool clampScales)
    {
        var scales = stackalloc float[8];
        var mins = stackalloc float[8];
        var sw = stackalloc float[8];
        var weights = stackalloc float[32];
        var aux = stackalloc byte[32];
        var ls = stackalloc byte[8];
        var lm = stackalloc byte[8];
        var sigma2 = 2 * ScaleSearch.SumOfSquares(x, 256) / 256;
        for (var j = 0; j < 8; j++)
        {
            LegacyCodes.ImportanceWeights(x + 32 * j, qw + 32 * j, sigma2, weights, 32);
            sw[j] = ScaleSearch.Sum(weights, 32);
            scales[j] = ScaleSearch.AffineCodes(32, nmax, x + 32 * j, weights, L + 32 * j, out mins[j], aux, -0.9f, 0.05f, 36, false);
        }
        var dBlock = ScaleSearch.PositiveCodes(8, 63, scales, ls, sw);
        var mBlock = ScaleSearch.PositiveCodes(8, 63, mins, lm, sw);
        for (var j = 0; j < 8; j++)
            PackScale(block + 4, j, clampScales ? Math.Min((byte)63, ls[j]) : ls[j], clampScales ? Math.Min((byte)63, lm[j]) : lm[j]);
        Blocks.Fp16.Write(block, dBlock);
        Blocks.Fp16.Write(block + 2, mBlock);
        Requantize(x, block, L, nmax);
    }

    /// <summary>The inverse of <see cref="ScaleMin"/> for sub-block j (0..7, in order: 4..7 add their top bits to bytes 0..7):
    /// sub-blocks 0..3 in the low 6 bits of bytes 0..7, 4..7 split over bytes 8..11 and the top bits.</summary>
    internal static void PackScale(byte* s, int j, byte ls, byte lm)
    {
        if (j < 4)
        {
            s[j] = ls;
            s[j + 4] = lm;
        }
        else
        {
            s[j + 4] = (byte)((ls & 0xF) | ((lm & 0xF) << 4));
            s[j - 4] |= (byte)((ls >> 4) << 6);
            s[j] |= (byte)((lm >> 4) << 6);
        }
    }

    /// <summary>Scale and minimum of sub-block j from the 12 packed bytes at q (ggml's get_scale_min_k4).</summary>
    internal static void ScaleMin(int j, byte* q, out int scale, out int min)
    {
        if (j < 4)
        {
            scale = q[j] & 63;
            min = q[j + 4] & 63;
        }
        else
        {
            scale = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
            min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
        }
    }

    // Codes again from the stored (fp16-rounded, 6-bit) scales, so they fit what a decoder will multiply them by.
    private static void Requantize(float* x, byte* block, byte* L, int nmax)
    {
        var d = Blocks.Fp16.Read(block);
        var dmin = Blocks.Fp16.Read(block + 2);
        for (var j = 0; j < 8; j++)
        {
            ScaleMin(j, block + 4, out var sc, out var m);
            var ds = d * sc;
            if (ds == 0) continue;
            var dm = dmin * m;
            for (var i = 0; i < 32; i++)
                L[32 * j + i] = (byte)Math.Clamp(ScaleSearch.NearestInt((x[32 * j + i] + dm) / ds), 0, nmax);
        }
    }
}
