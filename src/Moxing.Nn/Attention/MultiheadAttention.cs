using Moxing.Core.Autograd;
using Moxing.Nn.Layers;
using Moxing.Nn.Modules;

namespace Moxing.Nn.Attention;

/// <summary>
/// Multi-head attention with PyTorch's packed in_proj_weight [3·I, E] (rows q, k, v), in_proj_bias and out_proj
/// (nn.MultiheadAttention). The inner width I = heads · head_dim is E unless a head width is given (a model whose heads
/// were pruned keeps its head width with fewer heads).
/// </summary>
public sealed class MultiheadAttention : Module
{
    private readonly float _dropout;
    private readonly Random _rng;

    /// <summary>Creates the layer: xavier_uniform in_proj_weight, zero biases, out_proj as a Linear; <paramref name="headDim"/> defaults to E / heads.</summary>
    public MultiheadAttention(int embedDim, int numHeads, float dropout = 0f, bool bias = true, bool batchFirst = false, Random? rng = null, int? headDim = null)
    {
        if (numHeads <= 0 || (headDim == null && embedDim % numHeads != 0)) throw new ArgumentException($"embed_dim {embedDim} must divide into {numHeads} heads");
        if (headDim <= 0) throw new ArgumentException($"head_dim must be positive, got {headDim}");
        _rng = rng ?? Rng.Shared;
        (EmbedDim, NumHeads, HeadDim, BatchFirst, _dropout) = (embedDim, numHeads, headDim ?? embedDim / numHeads, batchFirst, dropout);
        InnerDim = NumHeads * HeadDim;
        InProjWeight = RegisterParameter("in_proj_weight", Tensor.Zeros(3 * InnerDim, embedDim));
        Init.XavierUniform(InProjWeight, _rng);
        if (bias) InProjBias = RegisterParameter("in_proj_bias", Tensor.Zeros(3 * InnerDim));
        OutProj = RegisterModule("out_proj", new Linear(InnerDim, embedDim, bias, _rng));
        OutProj.Bias?.Data.Clear();
    }

    /// <summary>Model width E.</summary>
    public int EmbedDim { get; }

    /// <summary>Number of heads.</summary>
    public int NumHeads { get; }

    /// <summary>Width of one head.</summary>
    public int HeadDim { get; }

    /// <summary>Width of the concatenated heads, I = heads · head_dim (E unless a head width was given).</summary>
    public int InnerDim { get; }

    /// <summary>Inputs are [B, L, E] rather than [L, B, E].</summary>
    public bool BatchFirst { get; }

    /// <summary>[3·I, E]: query, key and value projections stacked by rows.</summary>
    public Tensor InProjWeight { get; }

    /// <summary>[3·I], or null.</summary>
    public Tensor? InProjBias { get; }

    /// <summary>The output projection.</summary>
    public Linear OutProj { get; }

    /// <summary>Attention of <paramref name="query"/> over <paramref name="key"/>/<paramref name="value"/>.</summary>
    /// <param name="query">[B, L, E] (batch-first) or [L, B, E].</param>
    /// <param name="key">[B, S, E] or [S, B, E].</param>
    /// <param name="value">Same shape as key.</param>
    /// <param name="attnMask">Additive mask broadcastable to [B, heads, L, S] (−∞ blocks), or null.</param>
    /// <param name="keyPaddingMask">Per batch row and key, true where the key is padding and must be ignored ([B·S]), or null.</param>
    /// <param name="causal">Each query sees only keys at or before its position.</param>
    public Tensor Forward(Tensor query, Tensor key, Tensor value, Tensor? attnMask = null, bool[]? keyPaddingMask = null, bool causal = false)
    {
        if (!BatchFirst)
        {
            // Transpose shared inputs once so self-attention keeps its packed projection.
            var q0 = query.Transpose(0, 1);
            var k0 = ReferenceEquals(key, query) ? q0 : key.Transpose(0, 1);
            value = ReferenceEquals(value, key) ? k0 : ReferenceEquals(value, query) ? q0 : value.Transpose(0, 1);
            (query, key) = (q0, k0);
        }
        int batch = query.Shape[0], l = query.Shape[1], s = key.Shape[1], e = InnerDim;
        Tensor q, k, v;
        if (ReferenceEquals(query, key) && ReferenceEquals(key, value))
        {
            var packed = Tensor.Linear(query, InProjWeight, InProjBias);
            (q, k, v) = (packed.Narrow(-1, 0, e), packed.Narrow(-1, e, e), packed.Narrow(-1, 2 * e, e));
        }
        else
        {
            q = Project(query, 0);
            k = Project(key, 1);
            v = Project(value, 2);
        }
        var mask = attnMask;
        if (keyPaddingMask != null)
        {
            if (keyPaddingMask.Length != batch * s) throw new ArgumentException($"key padding mask has {keyPaddingMask.Length} entries, expected {batch}·{s}");
            var padding = Tensor.Zeros(batch, 1, 1, s);
            for (var i = 0; i < keyPaddingMask.Length; i++) if (keyPaddingMask[i]) padding.Data[i] = float.NegativeInfinity;
            mask = mask == null ? padding : mask + padding;
        }
        var attended = Tensor.ScaledDotProductAttention(Heads(q, l), Heads(k, s), Heads(v, s), mask, causal, null,
            Training ? _dropout : 0f, _rng);
        var output = OutProj.Forward(attended.Permute(0, 2, 1, 3).Reshape(batch, l, e));
        return BatchFirst ? output : output.Transpose(0, 1);
    }

    /// <summary>Self-attention of <paramref name="x"/>.</summary>
    public Tensor Forward(Tensor x, Tensor? attnMask = null, bool causal = false) => Forward(x, x, x, attnMask, null, causal);

    private Tensor Project(Tensor x, int part) =>
        Tensor.Linear(x, InProjWeight.Narrow(0, part * InnerDim, InnerDim), InProjBias?.Narrow(0, part * InnerDim, InnerDim));

    private Tensor Heads(Tensor x, int length) => x.Reshape(x.Shape[0], length, NumHeads, HeadDim).Permute(0, 2, 1, 3);
}
