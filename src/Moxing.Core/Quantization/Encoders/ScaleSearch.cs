using System.Runtime.CompilerServices;

namespace Moxing.Core.Quantization.Encoders;

/// <summary>
/// ggml's scale searches (ggml-quants.c), ported operation for operation in float so encoded blocks are bit-identical to
/// llama-quantize's: the same evaluation order, the same <see cref="NearestInt"/> rounding, no fused multiply-adds.
/// </summary>
internal static unsafe class ScaleSearch
{
    /// <summary>Groups whose largest magnitude is below this are all zero (ggml's GROUP_MAX_EPS).</summary>
    public const float GroupMaxEps = 1e-15f;

    /// <summary>x[0]² + … + x[n-1]², summed in index order as ggml's loops do (so encoded bytes match bit for bit).</summary>
    public static float SumOfSquares(float* x, int n)
    {
        float sum = 0;
        for (var i = 0; i < n; i++) sum += x[i] * x[i];
        return sum;
    }

    /// <summary>x[0] + … + x[n-1], summed in index order as ggml's loops do.</summary>
    public static float Sum(float* x, int n)
    {
        float sum = 0;
        for (var i = 0; i < n; i++) sum += x[i];
        return sum;
    }

    /// <summary>ggml's nearest_int: rounds half to even through the 1.5·2^23 trick (valid for |x| ≤ 2^22).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int NearestInt(float value)
    {
        var shifted = value + 12582912f;
        return (BitConverter.SingleToInt32Bits(shifted) & 0x007fffff) - 0x00400000;
    }

    /// <summary>ggml's best_index_int8: the index of the level in the sorted <paramref name="levels"/> nearest to <paramref name="x"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int BestIndex(ReadOnlySpan<sbyte> levels, float x)
    {
        var n = levels.Length;
        if (x <= levels[0]) return 0;
        if (x >= levels[n - 1]) return n - 1;
        int lo = 0, hi = n - 1;
        while (hi - lo > 1)
        {
            var mid = (lo + hi) / 2;
            if (x < levels[mid]) hi = mid;
            else lo = mid;
        }
        return x - levels[hi - 1] < levels[hi] - x ? hi - 1 : hi;
    }

    // The value of largest magnitude (sign kept), as make_qx_quants and make_q3_quants find it; false (codes zeroed) for a
    // group too small to scale.
    private static bool SignedMaximum(int n, float* x, sbyte* L, out float max)
    {
        max = 0;
        float amax = 0;
        for (var i = 0; i < n; i++)
        {
            var ax = MathF.Abs(x[i]);
            if (ax > amax) { amax = ax; max = x[i]; }
        }
        if (amax >= GroupMaxEps) return true;
        for (var i = 0; i < n; i++) L[i] = 0;
        return false;
    }

    /// <summary>
    /// ggml's make_qx_quants: symmetric codes L in [0, 2·nmax) with the scale that minimises the weighted error, trying 19
    /// scales around nmax/max. Weights are <paramref name="qw"/> or, when null, x² (rmseType 1, the only one used).
    /// </summary>
    public static float SymmetricCodes(int n, int nmax, float* x, sbyte* L, float* qw)
    {
        if (!SignedMaximum(n, x, L, out var max)) return 0f;
        var iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (var i = 0; i < n; i++)
        {
            var l = Math.Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
            L[i] = (sbyte)(l + nmax);
            var w = qw != null ? qw[i] : x[i] * x[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        var scale = suml2 != 0 ? sumlx / suml2 : 0f;
        var best = scale * sumlx;
        for (var step = -9; step <= 9; step++)
        {
            if (step == 0) continue;
            iscale = -(nmax + 0.1f * step) / max;
            sumlx = suml2 = 0;
            for (var i = 0; i < n; i++)
            {
                var l = Math.Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
                var w = qw != null ? qw[i] : x[i] * x[i];
                sumlx += w * x[i] * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2)
            {
                for (var i = 0; i < n; i++)
                    L[i] = (sbyte)(nmax + Math.Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1));
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /// <summary>ggml's make_q3_quants with do_rmse: symmetric codes refined one at a time (up to 5 passes) under x² weights.</summary>
    public static float RefinedSymmetricCodes(int n, int nmax, float* x, sbyte* L)
    {
        if (!SignedMaximum(n, x, L, out var max)) return 0f;
        var iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (var i = 0; i < n; i++)
        {
            var l = Math.Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
            L[i] = (sbyte)l;
            var w = x[i] * x[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var changed = 0;
            for (var i = 0; i < n; i++)
            {
                var w = x[i] * x[i];
                var slx = sumlx - w * x[i] * L[i];
                if (slx <= 0) continue;
                var sl2 = suml2 - w * L[i] * L[i];
                var newL = Math.Clamp(NearestInt(x[i] * sl2 / slx), -nmax, nmax - 1);
                if (newL == L[i]) continue;
                slx += w * x[i] * newL;
                sl2 += w * newL * newL;
                if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2)
                {
                    L[i] = (sbyte)newL;
                    sumlx = slx;
                    suml2 = sl2;
                    changed++;
                }
            }
            if (changed == 0) break;
        }
        for (var i = 0; i < n; i++) L[i] += (sbyte)nmax;
        return suml2 > 0f ? sumlx / suml2 : 0f;
    }

    /// <summary>
    /// ggml's make_qkx2_quants (and make_qkx3_quants with weights, the same computation): codes L in [0, nmax] with a scale
    /// and a minimum (returned negated in <paramref name="theMin"/>) chosen by least squares over nstep+1 trial scales.
    /// </summary>
    public static float AffineCodes(int n, int nmax, float* x, float* weights, byte* L, out float theMin, byte* Laux,
        float rmin, float rdelta, int nstep, bool useMad)
    {
        var min = x[0];
        var max = x[0];
        var sumW = weights[0];
        var sumX = sumW * x[0];
        for (var i = 1; i < n; i++)
        {
            if (x[i] < min) min = x[i];
            if (x[i] > max) max = x[i];
            var w = weights[i];
            sumW += w;
            sumX += w * x[i];
        }
        if (min > 0) min = 0;
        if (max == min)
        {
            for (var i = 0; i < n; i++) L[i] = 0;
            theMin = -min;
            return 0f;
        }
        var iscale = nmax / (max - min);
        var scale = 1 / iscale;
        float bestError = 0;
        for (var i = 0; i < n; i++)
        {
            var l = Math.Clamp(NearestInt(iscale * (x[i] - min)), 0, nmax);
            L[i] = (byte)l;
            var diff = scale * l + min - x[i];
            diff = useMad ? MathF.Abs(diff) : diff * diff;
            bestError += weights[i] * diff;
        }
        if (nstep < 1)
        {
            theMin = -min;
            return scale;
        }
        for (var step = 0; step <= nstep; step++)
        {
            iscale = (rmin + rdelta * step + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (var i = 0; i < n; i++)
            {
                var l = Math.Clamp(NearestInt(iscale * (x[i] - min)), 0, nmax);
                Laux[i] = (byte)l;
                var w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[i];
            }
            var det = sumW * sumL2 - sumL * sumL;
            if (!(det > 0)) continue; // as ggml's `if (D > 0)`, NaN included
            var thisScale = (sumW * sumXL - sumX * sumL) / det;
            var thisMin = (sumL2 * sumX - sumL * sumXL) / det;
            if (thisMin > 0)
            {
                thisMin = 0;
                thisScale = sumXL / sumL2;
            }
            float error = 0;
            for (var i = 0; i < n; i++)
            {
                var diff = thisScale * Laux[i] + thisMin - x[i];
                diff = useMad ? MathF.Abs(diff) : diff * diff;
                error += weights[i] * diff;
            }
            if (error < bestError)
            {
                for (var i = 0; i < n; i++) L[i] = Laux[i];
                bestError = error;
                scale = thisScale;
                min = thisMin;
            }
        }
        theMin = -min;
        return scale;
    }

    /// <summary>
    /// ggml's make_qp_quants: non-negative codes L in [0, nmax] for non-negative <paramref name="x"/> (the sub-block scales
    /// or minimums of a super-block) under <paramref name="weights"/>, 9 trial scales then one-at-a-time refinement.
    /// </summary>
    public static float PositiveCodes(int n, int nmax, float* x, byte* L, float* weights)
    {
        float max = 0;
        for (var i = 0; i < n; i++) max = max > x[i] ? max : x[i];
        if (max < GroupMaxEps)
        {
            for (var i = 0; i < n; i++) L[i] = 0;
            return 0f;
        }
        var iscale = nmax / max;
        for (var i = 0; i < n; i++) L[i] = (byte)NearestInt(iscale * x[i]);
        var scale = 1 / iscale;
        float bestMse = 0;
        for (var i = 0; i < n; i++)
        {
            var diff = x[i] - scale * L[i];
            bestMse += weights[i] * diff * diff;
        }
        for (var step = -4; step <= 4; step++)
        {
            if (step == 0) continue;
            var trialIscale = (0.1f * step + nmax) / max;
            var trialScale = 1 / trialIscale;
            float mse = 0;
            for (var i = 0; i < n; i++)
            {
                var l = Math.Min(nmax, NearestInt(trialIscale * x[i]));
                var diff = x[i] - trialScale * l;
                mse += weights[i] * diff * diff;
            }
            if (mse < bestMse)
            {
                bestMse = mse;
                iscale = trialIscale;
            }
        }
        float sumlx = 0, suml2 = 0;
        for (var i = 0; i < n; i++)
        {
            var l = Math.Min(nmax, NearestInt(iscale * x[i]));
            L[i] = (byte)l;
            var w = weights[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var changed = 0;
            for (var i = 0; i < n; i++)
            {
                var w = weights[i];
                var slx = sumlx - w * x[i] * L[i];
                var sl2 = suml2 - w * L[i] * L[i];
                if (!(slx > 0 && sl2 > 0)) continue;
                var newL = Math.Min(nmax, NearestInt(x[i] * sl2 / slx));
                if (newL == L[i]) continue;
                slx += w * x[i] * newL;
                sl2 += w * newL * newL;
                if (slx * slx * suml2 > sumlx * sumlx * sl2)
                {
                    L[i] = (byte)newL;
                    sumlx = slx;
                    suml2 = sl2;
                    changed++;
                }
            }
            if (changed == 0) break;
        }
        return suml2 > 0f ? sumlx / suml2 : 0f;
    }
}
