using System.Numerics;
using Moxing.Core.Kernels;
using Moxing.Core.Ops;

namespace Moxing.Models.Decoder;

/// <summary>
/// Attention of one step over paged KV: one item per (tile of consecutive tokens of one sequence, KV head, part of its query heads). Each run of
/// stored rows is decoded once per item and serves every query head of its part of the KV head's group (GQA without copying heads)
/// and every token of the tile (a prefill decodes a block once per tile, not once per token); causal masks sliding
/// windows and attention chunks limit each token to its own rows. Heads and widths are the layer's cache's (<see cref="DecoderOptions.CacheShapeOf"/>):
/// MLA's absorbed queries attend as MQA to one latent row per position, which serves as key and (its front) as value. With ALiBi
/// <paramref name="alibi"/> holds each query head's slope, and a score of key position p for a token at position t gains slope · (p − t).
/// </summary>
internal readonly struct PagedAttentionJob(DecoderOptions o, int layer, int kvLayer, BatchScratch s, float[]? sinks, int parts, float[]? alibi = null) : IParallelJob
{
    // Most tokens per tile: larger tiles decode stored rows less often, smaller ones give the workers more items.
    private const int MaxTileTokens = 16;

    [ThreadStatic] private static float[]? _scores;
    [ThreadStatic] private static float[]? _rows;

    /// <summary>Splits each slice's tokens into tiles (s.TileStart, s.TileEnd); returns the tile count.</summary>
    public static int Tile(BatchScratch s, int slices, int items)
    {
        // Aim for a few items per thread before growing tiles: decoding less is worth nothing to an idle core.
        var size = Math.Clamp(items / (4 * WorkerPool.Shared.ThreadCount), 1, MaxTileTokens);
        var tiles = 0;
        for (var i = 0; i < slices; i++)
            for (var t = s.SliceStart[i]; t < s.SliceStart[i + 1]; t += size)
            {
                s.TileStart[tiles] = t;
                s.TileEnd[tiles++] = Math.Min(t + size, s.SliceStart[i + 1]);
            }
        return tiles;
    }

    /// <summary>
    /// Parts each KV head's group of query heads is split into (items = tiles × the layer's KV heads × parts): one while the tiles and KV heads
    /// keep every thread busy, more when they do not — MLA's one latent head serving every query head, a single sequence decoding.
    /// </summary>
    public static int Parts(DecoderOptions o, int layer, int tiles)
    {
        var kvHeads = o.CacheShapeOf(layer).KvHeads;
        var items = Math.Max(1, tiles * kvHeads);
        return Math.Clamp((WorkerPool.Shared.ThreadCount + items - 1) / items, 1, o.HeadCount / kvHeads);
    }

    public void Execute(int start, int end)
    {
        var cache = o.CacheShapeOf(layer);
        int kvHeads = cache.KvHeads, groups = o.HeadCount / kvHeads, window = o.WindowOf(layer), chunk = o.ChunkOf(layer), vd = cache.ValueDim, outDim = o.HeadCount * vd;
        for (var item = start; item < end; item++)
        {
            // This item's query heads [h0, h0 + heads): its part of KV head g's group.
            int tile = item / (kvHeads * parts), g = item / parts % kvHeads, part = item % parts;
            int h0 = g * groups + part * groups / parts, heads = g * groups + (part + 1) * groups / parts - h0;
            int t0 = s.TileStart[tile], m = s.TileEnd[tile] - t0;
            var sequence = s.Sequences[s.SliceOf[t0]]!;
            var pool = sequence.Pool;
            int firstPos = s.Positions[t0], lastPos = LastVisible(t0, m);
            var from = First(firstPos, window, chunk);
            var stride = lastPos - from + 1;
            var scores = Buffer(ref _scores, m * heads * stride);
            var rows = Buffer(ref _rows, pool.BlockSize * Math.Max(cache.HeadDim, vd));
            Pass(values: false, sequence, g, h0, heads, t0, m, from, stride, scores, rows);
            for (var i = 0; i < m; i++)
            {
                var pos = firstPos + i;
                var first = First(pos, window, chunk);
                Attention.Normalize(scores.AsSpan(i * heads * stride + first - from), heads, stride, s.VisibleTo[t0 + i] - first + 1, o.AttentionSoftCap,
                    sinks == null ? default : sinks.AsSpan(h0, heads));
                s.AttentionOut.AsSpan((t0 + i) * outDim + h0 * vd, heads * vd).Clear();
            }
            Pass(values: true, sequence, g, h0, heads, t0, m, from, stride, scores, rows);
        }
    }

    // One sweep over the stored rows [from, last position of the tile], a block run at a time, each run decoded once:
    // the keys give every tile token its scores, or the values are summed into its output with the softmaxed scores.
    private void Pass(bool values, SequenceKv sequence, int g, int h0, int heads, int t0, int m, int from, int stride, float[] scores, float[] rows)
    {
        var cache = o.CacheShapeOf(layer);
        int hd = cache.HeadDim, window = o.WindowOf(layer), chunk = o.ChunkOf(layer), qDim = o.HeadCount * hd;
        var pool = sequence.Pool;
        // Values may be narrower than keys (MLA): each head's output is vd wide, and each value the front of a key row when the pool
        // stores none of its own.
        var vd = values ? cache.ValueDim : hd;
        var rowWidth = values && !cache.ValuesInKeys ? vd : hd;
        var rowBytes = values ? pool.ValueRowBytesOf(kvLayer) : pool.RowBytesOf(kvLayer);
        int firstPos = s.Positions[t0], lastPos = LastVisible(t0, m);
        for (var p = from; p <= lastPos;)
        {
            var n = RunLength(pool, p, lastPos);
            var block = sequence.BlockOf(p);
            var stored = (values ? pool.Values(block, kvLayer, g) : pool.Keys(block, kvLayer, g)).Slice(p % pool.BlockSize * rowBytes, n * rowBytes);
            var decoded = AttentionRows.Decode(pool.Type, stored, rows);
            for (var i = 0; i < m; i++)
            {
                var (lo, hi) = Visible(firstPos + i, s.VisibleTo[t0 + i], window, chunk, p, p + n - 1);
                if (lo > hi) continue;
                var run = decoded.Slice((lo - p) * rowWidth, (hi - lo + 1) * rowWidth);
                var weights = scores.AsSpan(i * heads * stride + lo - from);
                if (values) Attention.AccumulateValues(weights, stride, run, vd, s.AttentionOut.AsSpan((t0 + i) * o.HeadCount * vd + h0 * vd, heads * vd), rowWidth);
                else
                {
                    Attention.Scores(s.Q.AsSpan((t0 + i) * qDim + h0 * hd, heads * hd), run, hd, o.EffectiveAttentionScale, weights, stride);
                    if (alibi != null) AddAlibi(weights, stride, alibi.AsSpan(h0, heads), lo - (firstPos + i), hi - lo + 1);
                }
            }
            p += n;
        }
    }

    // Each head's `count` scores (rows `stride` apart) gain its slope times the key's distance from the query, from `distance` (≤ 0) on.
    private static void AddAlibi(Span<float> scores, int stride, ReadOnlySpan<float> slopes, int distance, int count)
    {
        for (var h = 0; h < slopes.Length; h++)
        {
            var row = scores.Slice(h * stride, count);
            for (var j = 0; j < count; j++) row[j] += slopes[h] * (distance + j);
        }
    }

    // The first position a token at `position` sees: the last `window` positions, within its own chunk (non-decreasing in position).
    private static int First(int position, int window, int chunk) =>
        Math.Max(window > 0 ? Math.Max(0, position - window + 1) : 0, chunk > 0 ? position - position % chunk : 0);

    // The positions in [runFirst, runLast] that the token at `position` attends to, up to `last` (empty when lo > hi).
    private static (int Lo, int Hi) Visible(int position, int last, int window, int chunk, int runFirst, int runLast) =>
        (Math.Max(runFirst, First(position, window, chunk)), Math.Min(runLast, last));

    // The last position any of the tile's m tokens from t0 attends to: the last token's, or further for a bidirectional span.
    private int LastVisible(int t0, int m)
    {
        var last = s.Positions[t0] + m - 1;
        for (var i = 0; i < m; i++) last = Math.Max(last, s.VisibleTo[t0 + i]);
        return last;
    }

    // Rows of position p's block from p up to the block's end or position last.
    private static int RunLength(KvBlockPool pool, int p, int last) => Math.Min(pool.BlockSize - p % pool.BlockSize, last - p + 1);

    // Per-thread buffers grow to the next power of two, so a long generation reallocates O(log n) times, not per token.
    private static float[] Buffer(ref float[]? buffer, int length)
    {
        if (buffer == null || buffer.Length < length) buffer = new float[(int)Math.Min(Array.MaxLength, BitOperations.RoundUpToPowerOf2((uint)length))];
        return buffer;
    }
}
