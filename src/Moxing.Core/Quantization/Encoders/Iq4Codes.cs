using System.Runtime.CompilerServices;
using Moxing.Core.Quantization.Blocks;

namespace Moxing.Core.Quantization.Encoders;

/// <summary>
/// ggml's quantize_row_iq4_nl_impl with ntry = 7, as llama-quantize runs it for IQ4_NL (one block of 32) and IQ4_XS (a
/// super-block of 256 with 6-bit sub-block scales): per 32 weights the scale that best fits the codebook over 15 trials.
/// </summary>
internal static unsafe class Iq4Codes
{
    private const int Tries = 7;

    /// <summary>
    /// Encodes <paramref name="superBlock"/> weights. <paramref name="d"/> receives the fp16 scale, <paramref name="qs"/> the
    /// indices; for super-blocks, <paramref name="scalesHigh"/> and <paramref name="scalesLow"/> the packed 6-bit scales.
    /// </summary>
    public static void Encode(int superBlock, float* x, byte* d, byte* qs, byte* scalesHigh, byte* scalesLow, float* qw)
    {
        var values = Iq4Codebook.Values;
        var L = stackalloc byte[256];
        var scales = stackalloc float[8];
        var weight = stackalloc float[32];
        var blocks = superBlock / 32;
        float sigma2 = 0;
        for (var j = 0; j < superBlock; j++) sigma2 += x[j] * x[j];
        sigma2 *= 2f / superBlock;
        float maxScale = 0, amaxScale = 0;
        for (var ib = 0; ib < blocks; ib++)
        {
            var xb = x + 32 * ib;
            if (qw != null) LegacyCodes.ImportanceWeights(xb, qw + 32 * ib, sigma2, weight, 32);
            else for (var j = 0; j < 32; j++) weight[j] = xb[j] * xb[j];
            float amax = 0, max = 0;
            for (var j = 0; j < 32; j++)
            {
                var ax = MathF.Abs(xb[j]);
                if (ax > amax) { amax = ax; max = xb[j]; }
            }
            if (amax < ScaleSearch.GroupMaxEps)
            {
                scales[ib] = 0;
                continue;
            }
            var scale = -max / values[0];
            Fit(values, xb, weight, 1 / scale, out var sumqx, out var sumq2);
            scale = sumq2 > 0 ? sumqx / sumq2 : 0f;
            var best = scale * sumqx;
            for (var attempt = -Tries; attempt <= Tries; attempt++)
            {
                Fit(values, xb, weight, (attempt + values[0]) / max, out sumqx, out sumq2);
                if (sumq2 > 0 && sumqx * sumqx > best * sumq2)
                {
                    scale = sumqx / sumq2;
                    best = scale * sumqx;
                }
            }
            scales[ib] = scale;
            if (MathF.Abs(scale) > amaxScale)
            {
                amaxScale = MathF.Abs(scale);
                maxScale = scale;
            }
        }

        if (blocks > 1)
        {
            Unsafe.WriteUnaligned<ushort>(scalesHigh, 0);
            var dBlock = -maxScale / 32;
            Fp16.Write(d, dBlock);
            var id = dBlock != 0 ? 1 / dBlock : 0f;
            ushort high = 0;
            for (var ib = 0; ib < blocks; ib++)
            {
                var l = Math.Clamp(ScaleSearch.NearestInt(id * scales[ib]), -32, 31);
                var dl = dBlock * l;
                var idl = dl != 0 ? 1 / dl : 0f;
                Assign(values, x + 32 * ib, L + 32 * ib, 32, idl);
                l += 32;
                if (ib % 2 == 0) scalesLow[ib / 2] = (byte)(l & 0xF);
                else scalesLow[ib / 2] |= (byte)((l & 0xF) << 4);
                high |= (ushort)((l >> 4) << (2 * (ib % 8)));
            }
            Unsafe.WriteUnaligned(scalesHigh, high);
        }
        else
        {
            Fp16.Write(d, scales[0]);
            Assign(values, x, L, superBlock, scales[0] != 0 ? 1 / scales[0] : 0f);
        }
        for (var i = 0; i < superBlock / 32; i++)
            for (var j = 0; j < 16; j++)
                qs[16 * i + j] = (byte)(L[32 * i + j] | (L[32 * i + 16 + j] << 4));
    }

    // Sums Σw·q·x and Σw·q² with q the codebook level nearest id·x.
    private static void Fit(ReadOnlySpan<sbyte> values, float* xb, float* weight, float id, out float sumqx, out float sumq2)
    {
        sumqx = 0;
        sumq2 = 0;
        for (var j = 0; j < 32; j++)
        {
            float q = values[ScaleSearch.BestIndex(values, id * xb[j])];
            var w = weight[j];
            sumqx += w * q * xb[j];
            sumq2 += w * q * q;
        }
    }

    private static void Assign(ReadOnlySpan<sbyte> values, float* x, byte* L, int n, float id)
    {
        for (var j = 0; j < n; j++) L[j] = (byte)ScaleSearch.BestIndex(values, id * x[j]);
    }
}
