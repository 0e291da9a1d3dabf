namespace Moxing.Core.Autograd;

public sealed partial class Tensor
{
    /// <summary>softmax(q·kᵀ·scale + mask)·v for q [..., L, E], k [..., S, E], v [..., S, Ev] (PyTorch's F.scaled_dot_product_attention).</summary>
    /// <param name="q">Queries.</param>
    /// <param name="k">Keys.</param>
    /// <param name="v">Values.</param>
    /// <param name="mask">Additive mask broadcastable to [..., L, S] (−∞ to block), or null.</param>
    /// <param name="causal">Query i sees keys 0..i only (top-left aligned, as PyTorch's is_causal).</param>
    /// <param name="scale">Score scale; 1/√E when null.</param>
    /// <param name="dropout">Dropout probability on the attention weights (needs <paramref name="rng"/>).</param>
    /// <param name="rng">Random source for dropout.</param>
    public static Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor? mask = null, bool causal = false, float? scale = null,
        float dropout = 0f, Random? rng = null)
    {
        int l = q.Shape[^2], s = k.Shape[^2];
        var scores = MatMul(q, k.Transpose(-2, -1)) * (scale ?? 1f / MathF.Sqrt(q.Shape[^1]));
        if (causal) scores += CausalMask(l, s);
        if (mask != null) scores += mask;
        var weights = scores.Softmax(-1);
        if (dropout > 0f) weights = weights.Dropout(dropout, true, rng ?? throw new ArgumentNullException(nameof(rng), "attention dropout needs a random source"));
        return MatMul(weights, v);
    }

    /// <summary>An [L, S] additive mask: 0 where key j ≤ query i, −∞ above the diagonal.</summary>
    public static Tensor CausalMask(int queries, int keys)
    {
        var m = Zeros(queries, keys);
        for (var i = 0; i < queries; i++)
            for (var j = i + 1; j < keys; j++) m._data[i * keys + j] = float.NegativeInfinity;
        return m;
    }
}
