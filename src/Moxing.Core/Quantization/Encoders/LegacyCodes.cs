using System.Runtime.CompilerServices;

namespace Moxing.Core.Quantization.Encoders;

/// <summary>The 32-weight legacy formats' reference codes (ggml's quantize_row_q{4,5}_{0,1}_ref) and their bit packing.</summary>
internal static unsafe class LegacyCodes
{
    /// <summary>
    /// Symmetric codes: d = max / -half (max the signed value of largest magnitude), code = min(top, trunc(x/d + half + 0.5)).
    /// Returns d.
    /// </summary>
    public static float Symmetric(float* x, int half, int top, byte* codes)
    {
        float amax = 0, max = 0;
        for (var j = 0; j < 32; j++)
        {
            var v = x[j];
            if (amax < MathF.Abs(v))
            {
                amax = MathF.Abs(v);
                max = v;
            }
        }
        var d = max / -half;
        var id = d != 0 ? 1.0f / d : 0.0f;
        var offset = half + 0.5f;
        for (var j = 0; j < 32; j++) codes[j] = (byte)Math.Min(top, (int)(x[j] * id + offset));
        return d;
    }

    /// <summary>Affine codes: d = (max - min) / steps, code = min(top, trunc((x - min)/d + 0.5)). Returns d; min in <paramref name="min"/>.</summary>
    public static float Affine(float* x, int steps, int top, byte* codes, out float min)
    {
        min = float.MaxValue;
        var max = -float.MaxValue;
        for (var j = 0; j < 32; j++)
        {
            var v = x[j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        var d = (max - min) / steps;
        var id = d != 0 ? 1.0f / d : 0.0f;
        for (var j = 0; j < 32; j++) codes[j] = (byte)Math.Min(top, (int)((x[j] - min) * id + 0.5f));
        return d;
    }

    /// <summary>ggml's importance weighting: w = qw · sqrt(sigma2 + x²).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ImportanceWeights(float* x, float* qw, float sigma2, float* weights, int n)
    {
        for (var j = 0; j < n; j++) weights[j] = qw[j] * MathF.Sqrt(sigma2 + x[j] * x[j]);
    }

    /// <summary>Low nibbles of codes 0..15 and high nibbles of codes 16..31 into 16 bytes.</summary>
    public static void PackNibbles(byte* codes, byte* qs)
    {
        for (var j = 0; j < 16; j++) qs[j] = (byte)((codes[j] & 0x0F) | ((codes[j + 16] & 0x0F) << 4));
    }

    /// <summary>Bit 4 of each of the 32 codes, code j in bit j (the qh word of Q5_0/Q5_1).</summary>
    public static void PackFifthBits(byte* codes, byte* qh)
    {
        uint bits = 0;
        for (var j = 0; j < 32; j++) bits |= (uint)((codes[j] & 0x10) >> 4) << j;
        Unsafe.WriteUnaligned(qh, bits);
    }
    /// <summary>ggml's quantize_row_q{4,5}_0_impl for one block: make_qx_quants under importance weights. Returns d.</summary>
    public static float WeightedSymmetric(float* x, int nmax, float* qw, float sigma2, byte* codes)
    {
        var weights = stackalloc float[32];
        ImportanceWeights(x, qw, sigma2, weights, 32);
        return ScaleSearch.SymmetricCodes(32, nmax, x, (sbyte*)codes, weights);
    }

    /// <summary>ggml's quantize_row_q{4,5}_1_impl for one block: make_qkx3_quants under importance weights. Returns d; m in <paramref name="min"/>.</summary>
    public static float WeightedAffine(float* x, int nmax, float* qw, float sigma2, byte* codes, out float min)
    {
        var weights = stackalloc float[32];
        var aux = stackalloc byte[32];
        ImportanceWeights(x, qw, sigma2, weights, 32);
        var d = ScaleSearch.AffineCodes(32, nmax, x, weights, codes, out var negMin, aux, -0.9f, 0.05f, 36, false);
        min = -negMin;
        return d;
    }
}
