namespace Moxing.Models.Vision;

/// <summary>
/// Qwen2-VL's 2-D rotary embedding of the ViT (VisionRotaryEmbedding over head_dim / 2, llama.cpp's vision M-RoPE): in each head, pair
/// (i, i + d/2) turns by row · θ^(−4i/d) for i &lt; d/4 and by column · θ^(−4(i − d/4)/d) above, θ = 10000, for the patch's row and column.
/// </summary>
internal sealed class VisionRotary
{
    private readonly float[] _cos, _sin;
    private readonly int _half;

    /// <summary>The angles of the patches of <paramref name="order"/> in a grid <paramref name="columns"/> wide, heads <paramref name="headDim"/> wide.</summary>
    public VisionRotary(PatchOrder order, int columns, int headDim)
    {
        _half = headDim / 2;
        var quarter = headDim / 4;
        var n = order.Patches.Length;
        (_cos, _sin) = (new float[n * _half], new float[n * _half]);
        for (var t = 0; t < n; t++)
        {
            int row = order.Patches[t] / columns, column = order.Patches[t] % columns;
            for (var i = 0; i < _half; i++)
            {
                var angle = (i < quarter ? row : column) * Math.Pow(10000, -4.0 * (i % quarter) / headDim);
                (_cos[t * _half + i], _sin[t * _half + i]) = ((float)Math.Cos(angle), (float)Math.Sin(angle));
            }
        }
    }

    /// <summary>Rotates every head of the <paramref name="n"/> rows of <paramref name="x"/> ([n, heads · headDim]) by its patch's angles.</summary>
    public void Apply(Span<float> x, int n, int width)
    {
        for (var t = 0; t < n; t++)
        {
            var cos = _cos.AsSpan(t * _half, _half);
            var sin = _sin.AsSpan(t * _half, _half);
            for (var head = 0; head < width; head += 2 * _half)
            {
                var v = x.Slice(t * width + head, 2 * _half);
                for (var i = 0; i < _half; i++)
                {
                    float a = v[i], b = v[i + _half];
                    v[i] = a * cos[i] - b * sin[i];
                    v[i + _half] = b * cos[i] + a * sin[i];
                }
            }
        }
    }
}
