using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Moxing.Core.Ops;

/// <summary>
/// Scaled dot-product attention in steps over runs of cached key/value rows, so a cache split into blocks (and stored
/// as F32, F16 or Q8_0, see <see cref="AttentionRows"/>) is attended in place, run by run, with no gathered copy.
/// </summary>
public static unsafe class Attention
{
    /// <summary>
    /// output = softmax(softcap(q·kⱼ · scale)) · vⱼ over rows j in [first, first + count) of <paramref name="keys"/> and
    /// <paramref name="values"/> (each row <paramref name="headDim"/> floats). <paramref name="scores"/> is scratch of ≥ count floats.
    /// </summary>
    public static void Head(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int headDim,
        int first, int count, float scale, float softCap, Span<float> scores, Span<float> output)
    {
        var s = scores[..count];
        Scores(q[..headDim], keys.Slice(first * headDim, count * headDim), headDim, scale, s, count);
        Normalize(s, 1, count, count, softCap);
        output[..headDim].Clear();
        AccumulateValues(s, count, values.Slice(first * headDim, count * headDim), headDim, output[..headDim]);
    }

    /// <summary>
    /// scores[h·stride + j] = (q_h · k_j) · scale for every query head h of <paramref name="queries"/> ([heads, headDim])
    /// and every row j of <paramref name="keys"/> ([rows, headDim]); query heads of one GQA group share the keys.
    /// </summary>
    public static void Scores(ReadOnlySpan<float> queries, ReadOnlySpan<float> keys, int headDim, float scale, Span<float> scores, int stride)
    {
        int heads = queries.Length / headDim, rows = keys.Length / headDim;
        if (rows == 0 || heads == 0) return;
        if (!Fused(headDim))
        {
            for (var j = 0; j < rows; j++)
            {
                var k = keys.Slice(j * headDim, headDim);
                for (var h = 0; h < heads; h++)
                    scores[h * stride + j] = TensorPrimitives.Dot(queries.Slice(h * headDim, headDim), k) * scale;
            }
            return;
        }
        // the last score written, checked once: the loops below index without bounds checks
        _ = scores[(heads - 1) * stride + rows - 1];
        fixed (float* q = queries, k = keys, s = scores)
            for (var h = 0; h < heads; h++)
            {
                float* qh = q + h * headDim, sh = s + h * stride;
                var j = 0;
                // eight rows per pass: each query vector loaded once feeds eight rows, and one transposing reduction
                // replaces eight horizontal sums
                for (; j + 8 <= rows; j += 8)
                    (EightDots(qh, k + j * headDim, headDim) * scale).Store(sh + j);
                for (; j < rows; j++)
                    sh[j] = Dot(qh, k + j * headDim, headDim) * scale;
            }
    }

    /// <summary>
    /// Soft-caps (tanh, when <paramref name="softCap"/> &gt; 0) and softmaxes the first <paramref name="count"/> scores of each of
    /// <paramref name="heads"/> rows. With <paramref name="sinks"/> (one per head, gpt-oss) each row's softmax has one more
    /// logit, the head's sink, in its denominator only: it takes probability from the rows and gives no value.
    /// </summary>
    public static void Normalize(Span<float> scores, int heads, int stride, int count, float softCap, ReadOnlySpan<float> sinks = default)
    {
        for (var h = 0; h < heads; h++)
        {
            var s = scores.Slice(h * stride, count);
            if (softCap > 0)
            {
                TensorPrimitives.Divide(s, softCap, s);
                TensorPrimitives.Tanh(s, s);
                TensorPrimitives.Multiply(s, softCap, s);
            }
            if (sinks.IsEmpty) Activations.Softmax(s);
            else SoftmaxWithSink(s, sinks[h]);
        }
    }

    // exp(s − m) / (Σ exp(s − m) + exp(sink − m)) with m the largest of the scores and the sink (ggml's soft_max with sinks).
    private static void SoftmaxWithSink(Span<float> s, float sink)
    {
        var max = MathF.Max(TensorPrimitives.Max(s), sink);
        TensorPrimitives.Subtract(s, max, s);
        TensorPrimitives.Exp(s, s);
        TensorPrimitives.Divide(s, TensorPrimitives.Sum(s) + MathF.Exp(sink - max), s);
    }

    /// <summary>
    /// outputs_h += Σ_j weights[h·stride + j] · v_j for every head h of <paramref name="outputs"/> ([heads, headDim]) and
    /// every row j of <paramref name="values"/> ([rows, rowStride], v_j its first headDim floats; rowStride 0: headDim).
    /// </summary>
    public static void AccumulateValues(ReadOnlySpan<float> weights, int stride, ReadOnlySpan<float> values, int headDim, Span<float> outputs, int rowStride = 0)
    {
        if (rowStride == 0) rowStride = headDim;
        ArgumentOutOfRangeException.ThrowIfLessThan(rowStride, headDim);
        int heads = outputs.Length / headDim, rows = values.Length / rowStride;
        if (rows == 0 || heads == 0) return;
        if (!Fused(headDim) || rowStride % Vector256<float>.Count != 0)
        {
            for (var j = 0; j < rows; j++)
            {
                var v = values.Slice(j * rowStride, headDim);
                for (var h = 0; h < heads; h++)
                {
                    var o = outputs.Slice(h * headDim, headDim);
                    TensorPrimitives.MultiplyAdd(v, weights[h * stride + j], o, o);
                }
            }
            return;
        }
        _ = weights[(heads - 1) * stride + rows - 1];
        fixed (float* w = weights, v = values, o = outputs)
            for (var h = 0; h < heads; h++)
            {
                var output = o + h * headDim;
                var weight = w + h * stride;
                if (headDim % 64 == 0)
                {
                    for (var i = 0; i < headDim; i += 64) Accumulate64(weight, v + i, rowStride, rows, output + i);
                    continue;
                }
                // four rows per pass over the output: it is loaded and stored once for all four
                var j = 0;
                for (; j + 4 <= rows; j += 4)
                {
                    Vector256<float> w0 = Vector256.Create(weight[j]), w1 = Vector256.Create(weight[j + 1]);
                    Vector256<float> w2 = Vector256.Create(weight[j + 2]), w3 = Vector256.Create(weight[j + 3]);
                    float* v0 = v + j * rowStride, v1 = v0 + rowStride, v2 = v1 + rowStride, v3 = v2 + rowStride;
                    for (var i = 0; i < headDim; i += Vector256<float>.Count)
                    {
                        var acc = Vector256.FusedMultiplyAdd(w0, Vector256.Load(v0 + i), Vector256.Load(output + i));
                        acc = Vector256.FusedMultiplyAdd(w1, Vector256.Load(v1 + i), acc);
                        acc = Vector256.FusedMultiplyAdd(w2, Vector256.Load(v2 + i), acc);
                        Vector256.FusedMultiplyAdd(w3, Vector256.Load(v3 + i), acc).Store(output + i);
                    }
                }
                for (; j < rows; j++)
                {
                    var wj = Vector256.Create(weight[j]);
                    var vj = v + j * rowStride;
                    for (var i = 0; i < headDim; i += Vector256<float>.Count)
                        Vector256.FusedMultiplyAdd(wj, Vector256.Load(vj + i), Vector256.Load(output + i)).Store(output + i);
                }
            }
    }

    // out[0..64) += Σ_j weight[j] · rows[j · stride + 0..64), the 64 outputs held in eight registers across all rows: eight
    // independent chains of FMAs, no store and reload of the output per row (rows add in order, as the loop above).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate64(float* weight, float* rows, int stride, int count, float* output)
    {
        Vector256<float> o0 = Vector256.Load(output), o1 = Vector256.Load(output + 8), o2 = Vector256.Load(output + 16), o3 = Vector256.Load(output + 24);
        Vector256<float> o4 = Vector256.Load(output + 32), o5 = Vector256.Load(output + 40), o6 = Vector256.Load(output + 48), o7 = Vector256.Load(output + 56);
        for (var j = 0; j < count; j++, rows += stride)
        {
            var x = Vector256.Create(weight[j]);
            o0 = Vector256.FusedMultiplyAdd(x, Vector256.Load(rows), o0);
            o1 = Vector256.FusedMultiplyAdd(x, Vector256.Load(rows + 8), o1);
            o2 = Vector256.FusedMultiplyAdd(x, Vector256.Load(rows + 16), o2);
            o3 = Vector256.FusedMultiplyAdd(x, Vector256.Load(rows + 24), o3);
            o4 = Vector256.FusedMultiplyAdd(x, Vector256.Load(rows + 32), o4);
            o5 = Vector256.FusedMultiplyAdd(x, Vector256.Load(rows + 40), o5);
            o6 = Vector256.FusedMultiplyAdd(x, Vector256.Load(rows + 48), o6);
            o7 = Vector256.FusedMultiplyAdd(x, Vector256.Load(rows + 56), o7);
        }
        o0.Store(output);
        o1.Store(output + 8);
        o2.Store(output + 16);
        o3.Store(output + 24);
        o4.Store(output + 32);
        o5.Store(output + 40);
        o6.Store(output + 48);
        o7.Store(output + 56);
    }

    // The fused loops take rows of whole 256-bit vectors where such vectors run in hardware (x64 with AVX2 and FMA); elsewhere
    // TensorPrimitives picks the machine's vectors, a call per row.
    private static bool Fused(int headDim) => Fma.IsSupported && Vector256.IsHardwareAccelerated && headDim % Vector256<float>.Count == 0;

    // The dot products of a with eight consecutive rows of b (rows of n floats, n a multiple of 8): one accumulator per
    // row, summed lane by lane in the order Dot sums its one, so a row's score is the same bits in a pass or alone.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> EightDots(float* a, float* b, int n)
    {
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        for (var i = 0; i < n; i += Vector256<float>.Count)
        {
            var x = Vector256.Load(a + i);
            var row = b + i;
            s0 = Vector256.FusedMultiplyAdd(x, Vector256.Load(row), s0);
            s1 = Vector256.FusedMultiplyAdd(x, Vector256.Load(row + n), s1);
            s2 = Vector256.FusedMultiplyAdd(x, Vector256.Load(row + 2 * n), s2);
            s3 = Vector256.FusedMultiplyAdd(x, Vector256.Load(row + 3 * n), s3);
            s4 = Vector256.FusedMultiplyAdd(x, Vector256.Load(row + 4 * n), s4);
            s5 = Vector256.FusedMultiplyAdd(x, Vector256.Load(row + 5 * n), s5);
            s6 = Vector256.FusedMultiplyAdd(x, Vector256.Load(row + 6 * n), s6);
            s7 = Vector256.FusedMultiplyAdd(x, Vector256.Load(row + 7 * n), s7);
        }
        // pairs, then quads within each 128-bit half, then the two halves: lane r holds row r's sum
        Vector256<float> q0 = Avx.HorizontalAdd(Avx.HorizontalAdd(s0, s1), Avx.HorizontalAdd(s2, s3));
        Vector256<float> q1 = Avx.HorizontalAdd(Avx.HorizontalAdd(s4, s5), Avx.HorizontalAdd(s6, s7));
        return Avx.Permute2x128(q0, q1, 0x20) + Avx.Permute2x128(q0, q1, 0x31);
    }

    // a · b over n floats (a multiple of 8), one accumulator summed as EightDots sums each of its lanes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(float* a, float* b, int n)
    {
        var acc = Vector256<float>.Zero;
        for (var i = 0; i < n; i += Vector256<float>.Count)
            acc = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), acc);
        var quads = Avx.HorizontalAdd(Avx.HorizontalAdd(acc, acc), Avx.HorizontalAdd(acc, acc));
        return quads.GetElement(0) + quads.GetElement(4);
    }
}
