using System.Numerics;
using Moxing.Core.Kernels;
using Moxing.Core.Ops;

namespace Moxing.Models.Vision;

/// <summary>
/// Bidirectional multi-head attention of n tokens over all n ([n, heads · headDim] rows in, out): one item per (head, chunk of
/// queries); each item gathers its head's keys and values once, then every query of its chunk attends to all of them — or, given
/// <paramref name="windows"/> (where each window's run of tokens starts, then n), to those of its window.
/// </summary>
internal readonly struct FullAttentionJob(float[] q, float[] k, float[] v, float[] output, int n, int heads, int headDim, int[]? windows = null) : IParallelJob
{
    private const int ChunkTokens = 256;

    [ThreadStatic] private static float[]? _keys, _values, _scores;

    /// <summary>Query chunks per head.</summary>
    public static int Chunks(int n) => (n + ChunkTokens - 1) / ChunkTokens;

    public void Execute(int start, int end)
    {
        var width = heads * headDim;
        var scale = 1f / MathF.Sqrt(headDim);
        var keys = Buffer(ref _keys, n * headDim);
        var values = Buffer(ref _values, n * headDim);
        var scores = Buffer(ref _scores, n);
        for (var item = start; item < end; item++)
        {
            int head = item % heads, first = item / heads * ChunkTokens, last = Math.Min(n, first + ChunkTokens);
            for (var j = 0; j < n; j++)
            {
                k.AsSpan(j * width + head * headDim, headDim).CopyTo(keys.AsSpan(j * headDim, headDim));
                v.AsSpan(j * width + head * headDim, headDim).CopyTo(values.AsSpan(j * headDim, headDim));
            }
            for (var t = first; t < last; t++)
            {
                var (from, to) = (0, n);
                if (windows != null)
                {
                    var w = Array.BinarySearch(windows, t);
                    w = w >= 0 ? w : ~w - 1;
                    (from, to) = (windows[w], windows[w + 1]);
                }
                Attention.Head(q.AsSpan(t * width + head * headDim, headDim), keys, values, headDim, from, to - from, scale, 0, scores,
                    output.AsSpan(t * width + head * headDim, headDim));
            }
        }
    }

    private static float[] Buffer(ref float[]? buffer, int length)
    {
        if (buffer == null || buffer.Length < length) buffer = new float[BitOperations.RoundUpToPowerOf2((uint)length)];
        return buffer;
    }
}
