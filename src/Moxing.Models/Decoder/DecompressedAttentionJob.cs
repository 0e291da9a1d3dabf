using System.Numerics.Tensors;
using Moxing.Core.Kernels;
using Moxing.Core.Ops;

namespace Moxing.Models.Decoder;

/// <summary>
/// MLA attention of a prefilling slice in the decompressed form, one item per (such slice, head): the slice's cached latent rows, a
/// run of positions at a time, go through the head's W_UK and W_UV (its unrotated keys and its values), and every token of the slice
/// attends to them with an online softmax; the head's value goes straight to V. The cache keeps the latent either way.
/// </summary>
internal readonly struct DecompressedAttentionJob(DecoderOptions o, MlaWeights w, int layer, int kvLayer, BatchScratch s, int n) : IParallelJob
{
    // Positions decompressed at once: their rows, keys and values stay in a thread's cache while every token of the slice reads them.
    private const int RunPositions = 64;

    [ThreadStatic] private static float[]? _buffer;

    /// <summary>
    /// Whether <paramref name="tokens"/> new tokens after <paramref name="cached"/> positions take fewer multiply-adds per head decompressed
    /// — every visible position through kv_b once (rank · (nope + value) each), then q·k and p·v at the head's own widths (192 + 128 for
    /// DeepSeek) — than absorbed: each token's query through W_UK and its attended latent through W_UV (the same rank · (nope + value)),
    /// then q·k and p·v over the latent rows (576 + 512). A decode step never is; a prefill chunk is when its tokens outnumber
    /// rank · (nope + value) / (latent widths − head widths), 171 for DeepSeek, or when nothing is cached before it.
    /// </summary>
    public static bool Chosen(DecoderOptions o, int cached, int tokens)
    {
        if (o.Mla is not { } mla || o.AttentionSinks) return false;
        int rank = mla.KvLoraRank, perPosition = rank * (o.HeadDim - mla.RopeDim + o.ValueDim);
        long pairs = (long)tokens * cached + (long)tokens * (tokens + 1) / 2;
        long absorbed = (long)tokens * perPosition + pairs * (2L * rank + mla.RopeDim);
        long decompressed = (long)(cached + tokens) * perPosition + pairs * (o.HeadDim + o.ValueDim);
        return decompressed < absorbed;
    }

    public void Execute(int start, int end)
    {
        var mla = o.Mla!;
        int heads = o.HeadCount, hd = o.HeadDim, vd = o.ValueDim, rank = mla.KvLoraRank, rope = mla.RopeDim, nope = hd - rope, row = rank + rope;
        int window = o.WindowOf(layer), chunk = o.ChunkOf(layer);
        for (var item = start; item < end; item++)
        {
            int slice = s.DecompressedSlices[item / heads], h = item % heads, t0 = s.SliceStart[slice], m = s.SliceStart[slice + 1] - t0;
            var sequence = s.Sequences[slice]!;
            var pool = sequence.Pool;
            int firstPos = s.Positions[t0], lastPos = firstPos + m - 1, from = PagedAttentionJob.First(firstPos, window, chunk);
            var buffer = Buffer(m * (hd + vd + 2) + RunPositions * (2 * row + hd + nope + vd + 1));
            Span<float> queries = buffer.AsSpan(0, m * hd), sums = buffer.AsSpan(m * hd, m * vd), maxima = buffer.AsSpan(m * (hd + vd), m);
            Span<float> totals = buffer.AsSpan(m * (hd + vd + 1), m), rest = buffer.AsSpan(m * (hd + vd + 2));
            Span<float> decoded = rest[..(RunPositions * row)], latent = rest.Slice(RunPositions * row, RunPositions * rank);
            Span<float> keys = rest.Slice(RunPositions * (row + rank), RunPositions * hd), unrotated = rest.Slice(RunPositions * (row + rank + hd), RunPositions * nope);
            Span<float> values = rest.Slice(RunPositions * (row + rank + hd + nope), RunPositions * vd), scores = rest.Slice(RunPositions * (2 * row + hd + nope + vd), RunPositions);
            // Each token's query: its unrotated part as q_b / q_proj gave it, its rotated part as the store job left it in Q.
            for (var i = 0; i < m; i++)
            {
                var t = t0 + i;
                s.Fused.AsSpan(n * mla.QLoraRank + (t * heads + h) * hd, nope).CopyTo(queries.Slice(i * hd, nope));
                s.Q.AsSpan((t * heads + h) * row + rank, rope).CopyTo(queries.Slice(i * hd + nope, rope));
            }
            sums.Clear();
            maxima.Fill(float.NegativeInfinity);
            totals.Clear();
            for (var p = from; p <= lastPos;)
            {
                var count = Decode(sequence, pool, p, Math.Min(RunPositions, lastPos - p + 1), decoded);
                for (var j = 0; j < count; j++)
                {
                    decoded.Slice(j * row, rank).CopyTo(latent.Slice(j * rank, rank));
                    decoded.Slice(j * row + rank, rope).CopyTo(keys.Slice(j * hd + nope, rope));
                }
                if (w.KeysByLatent) MatMul.TransposedRows(w.KeyHeads[h], latent, count, unrotated);
                else MatMul.Rows(w.KeyHeads[h], latent, count, unrotated, 0, nope);
                for (var j = 0; j < count; j++) unrotated.Slice(j * nope, nope).CopyTo(keys.Slice(j * hd, nope));
                MatMul.Rows(w.ValueHeads[h], latent, count, values, 0, vd);
                for (var i = 0; i < m; i++)
                {
                    var pos = firstPos + i;
                    int lo = Math.Max(p, PagedAttentionJob.First(pos, window, chunk)), hi = Math.Min(p + count - 1, pos);
                    if (lo > hi) continue;
                    var visible = hi - lo + 1;
                    var score = scores[..visible];
                    Attention.Scores(queries.Slice(i * hd, hd), keys.Slice((lo - p) * hd, visible * hd), hd, o.EffectiveAttentionScale, score, visible);
                    Accumulate(score, values.Slice((lo - p) * vd, visible * vd), vd, ref maxima[i], ref totals[i], sums.Slice(i * vd, vd));
                }
                p += count;
            }
            for (var i = 0; i < m; i++) TensorPrimitives.Divide(sums.Slice(i * vd, vd), totals[i], s.V.AsSpan(((t0 + i) * heads + h) * vd, vd));
        }
    }

    // Online softmax: the running sum and output rescaled to the new largest score, then this run's weights added (tanh soft-capped first
    // where the model caps scores).
    private void Accumulate(Span<float> score, ReadOnlySpan<float> values, int vd, ref float max, ref float total, Span<float> sum)
    {
        if (o.AttentionSoftCap > 0)
        {
            TensorPrimitives.Divide(score, o.AttentionSoftCap, score);
            TensorPrimitives.Tanh(score, score);
            TensorPrimitives.Multiply(score, o.AttentionSoftCap, score);
        }
        var next = MathF.Max(max, TensorPrimitives.Max(score));
        var rescale = MathF.Exp(max - next);
        total *= rescale;
        TensorPrimitives.Multiply(sum, rescale, sum);
        TensorPrimitives.Subtract(score, next, score);
        TensorPrimitives.Exp(score, score);
        total += TensorPrimitives.Sum(score);
        Attention.AccumulateValues(score, score.Length, values, vd, sum);
        max = next;
    }

    // The latent rows of positions [p, p + count) into `rows` ([count, rank + rope]), a block run at a time; returns count.
    private int Decode(SequenceKv sequence, KvBlockPool pool, int p, int count, Span<float> rows)
    {
        int width = pool.Shapes[kvLayer].HeadDim, rowBytes = pool.RowBytesOf(kvLayer);
        for (var done = 0; done < count;)
        {
            var position = p + done;
            var run = Math.Min(pool.BlockSize - position % pool.BlockSize, count - done);
            var stored = pool.Keys(sequence.BlockOf(position), kvLayer, 0).Slice(position % pool.BlockSize * rowBytes, run * rowBytes);
            var target = rows.Slice(done * width, run * width);
            var floats = AttentionRows.Decode(pool.Type, stored, target);
            if (floats != target) floats.CopyTo(target);
            done += run;
        }
        return count;
    }

    private static float[] Buffer(int length) => _buffer is { } b && b.Length >= length ? b : _buffer = new float[length];
}
