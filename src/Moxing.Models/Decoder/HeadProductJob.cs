using Moxing.Core.Kernels;
using Moxing.Core.Tensors;

namespace Moxing.Models.Decoder;

/// <summary>Where head h's vector of token t lies: <see cref="Buffer"/>[Start + t·TokenStride + h·HeadStride ..] for <see cref="Width"/> floats.</summary>
internal readonly record struct HeadSlices(float[] Buffer, int Start, int TokenStride, int HeadStride, int Width)
{
    public Span<float> Of(int token, int head) => Buffer.AsSpan(Start + token * TokenStride + head * HeadStride, Width);
}

/// <summary>
/// One item per head: y = W_h · x (or W_hᵀ · x when <paramref name="transposed"/>) for each of n tokens, x and y the head's slices of
/// the token rows, gathered into and scattered from per-thread buffers (MLA's per-head blocks of kv_b).
/// </summary>
internal readonly struct HeadProductJob(StoredTensor[] weights, bool transposed, HeadSlices x, HeadSlices y, int n) : IParallelJob
{
    [ThreadStatic] private static float[]? _in;
    [ThreadStatic] private static float[]? _out;

    public void Execute(int start, int end)
    {
        var input = Buffer(ref _in, n * x.Width);
        var output = Buffer(ref _out, n * y.Width);
        for (var h = start; h < end; h++)
        {
            for (var t = 0; t < n; t++) x.Of(t, h).CopyTo(input.AsSpan(t * x.Width));
            if (transposed) MatMul.TransposedRows(weights[h], input, n, output);
            else MatMul.Rows(weights[h], input, n, output, 0, y.Width);
            for (var t = 0; t < n; t++) output.AsSpan(t * y.Width, y.Width).CopyTo(y.Of(t, h));
        }
    }

    private static float[] Buffer(ref float[]? buffer, int length) => buffer is { } b && b.Length >= length ? b : buffer = new float[length];
}
