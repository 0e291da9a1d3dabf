using Moxing.Core.Autograd;
using Moxing.Nn.Layers;
using Moxing.Nn.Modules;

namespace Moxing.Nn.Attention;

/// <summary>
/// Sizes and switches shared by transformer encoder and decoder layers (PyTorch's arguments and defaults); a
/// <paramref name="HeadDim"/> other than null sets the attention heads' width (default DModel / NHead).
/// </summary>
public sealed record TransformerOptions(int DModel, int NHead, int DimFeedforward = 2048, float Dropout = 0.1f, bool Gelu = false,
    float LayerNormEps = 1e-5f, bool BatchFirst = false, bool NormFirst = false, bool Bias = true, int? HeadDim = null);

/// <summary>The feed-forward half of a transformer layer: linear2(dropout(act(linear1(x)))), with PyTorch's member names.</summary>
public abstract class TransformerLayerBase : Module
{
    private readonly bool _gelu;

    /// <summary>Creates linear1, dropout and linear2.</summary>
    protected TransformerLayerBase(TransformerOptions o, Random rng)
    {
        Options = o;
        _gelu = o.Gelu;
        SelfAttn = RegisterModule("self_attn", new MultiheadAttention(o.DModel, o.NHead, o.Dropout, o.Bias, o.BatchFirst, rng, o.HeadDim));
        Linear1 = RegisterModule("linear1", new Linear(o.DModel, o.DimFeedforward, o.Bias, rng));
        Dropout = RegisterModule("dropout", new Dropout(o.Dropout, rng));
        Linear2 = RegisterModule("linear2", new Linear(o.DimFeedforward, o.DModel, o.Bias, rng));
    }

    /// <summary>The layer's options.</summary>
    public TransformerOptions Options { get; }

    /// <summary>Self-attention.</summary>
    public MultiheadAttention SelfAttn { get; }

    /// <summary>First feed-forward projection.</summary>
    public Linear Linear1 { get; }

    /// <summary>Dropout inside the feed-forward block.</summary>
    public Dropout Dropout { get; }

    /// <summary>Second feed-forward projection.</summary>
    public Linear Linear2 { get; }

    /// <summary>The feed-forward block without its residual.</summary>
    protected Tensor FeedForward(Tensor x)
    {
        var hidden = Linear1.Forward(x);
        return Linear2.Forward(Dropout.Forward(_gelu ? hidden.Gelu() : hidden.Relu()));
    }

    /// <summary>x + dropout(block(norm(x))) when norm-first, else norm(x + dropout(block(x))).</summary>
    protected Tensor Residual(Tensor x, LayerNorm norm, Dropout dropout, Func<Tensor, Tensor> block) =>
        Options.NormFirst ? x + dropout.Forward(block(norm.Forward(x))) : norm.Forward(x + dropout.Forward(block(x)));
}

/// <summary>Self-attention then feed-forward, each with a residual and LayerNorm (nn.TransformerEncoderLayer).</summary>
public sealed class TransformerEncoderLayer : TransformerLayerBase
{
    private readonly LayerNorm _norm1, _norm2;
    private readonly Dropout _dropout1, _dropout2;

    /// <summary>Creates the layer.</summary>
    public TransformerEncoderLayer(TransformerOptions options, Random? rng = null) : base(options, rng ??= Rng.Shared)
    {
        _norm1 = RegisterModule("norm1", new LayerNorm(options.DModel, options.LayerNormEps, bias: options.Bias));
        _norm2 = RegisterModule("norm2", new LayerNorm(options.DModel, options.LayerNormEps, bias: options.Bias));
        _dropout1 = RegisterModule("dropout1", new Dropout(options.Dropout, rng));
        _dropout2 = RegisterModule("dropout2", new Dropout(options.Dropout, rng));
    }

    /// <summary>Encodes <paramref name="src"/>; <paramref name="causal"/> masks later positions, <paramref name="mask"/> is additive.</summary>
    public Tensor Forward(Tensor src, Tensor? mask = null, bool[]? keyPaddingMask = null, bool causal = false)
    {
        var x = Residual(src, _norm1, _dropout1, h => SelfAttn.Forward(h, h, h, mask, keyPaddingMask, causal));
        return Residual(x, _norm2, _dropout2, FeedForward);
    }
}

/// <summary>Causal self-attention, cross-attention over memory, then feed-forward, each with residual and LayerNorm (nn.TransformerDecoderLayer).</summary>
public sealed class TransformerDecoderLayer : TransformerLayerBase
{
    private readonly LayerNorm _norm1, _norm2, _norm3;
    private readonly Dropout _dropout1, _dropout2, _dropout3;

    /// <summary>Creates the layer.</summary>
    public TransformerDecoderLayer(TransformerOptions options, Random? rng = null) : base(options, rng ??= Rng.Shared)
    {
        MultiheadAttn = RegisterModule("multihead_attn", new MultiheadAttention(options.DModel, options.NHead, options.Dropout, options.Bias, options.BatchFirst, rng, options.HeadDim));
        _norm1 = RegisterModule("norm1", new LayerNorm(options.DModel, options.LayerNormEps, bias: options.Bias));
        _norm2 = RegisterModule("norm2", new LayerNorm(options.DModel, options.LayerNormEps, bias: options.Bias));
        _norm3 = RegisterModule("norm3", new LayerNorm(options.DModel, options.LayerNormEps, bias: options.Bias));
        _dropout1 = RegisterModule("dropout1", new Dropout(options.Dropout, rng));
        _dropout2 = RegisterModule("dropout2", new Dropout(options.Dropout, rng));
        _dropout3 = RegisterModule("dropout3", new Dropout(options.Dropout, rng));
    }

    /// <summary>Cross-attention over the encoder output.</summary>
    public MultiheadAttention MultiheadAttn { get; }

    /// <summary>Decodes <paramref name="tgt"/> against <paramref name="memory"/>; the self-attention is causal unless <paramref name="causal"/> is false.</summary>
    public Tensor Forward(Tensor tgt, Tensor? memory, Tensor? tgtMask = null, Tensor? memoryMask = null, bool causal = true, bool[]? tgtKeyPaddingMask = null, bool[]? memoryKeyPaddingMask = null)
    {
        var x = Residual(tgt, _norm1, _dropout1, h => SelfAttn.Forward(h, h, h, tgtMask, tgtKeyPaddingMask, causal));
        if (memory != null) x = Residual(x, _norm2, _dropout2, h => MultiheadAttn.Forward(h, memory, memory, memoryMask, memoryKeyPaddingMask));
        return Residual(x, _norm3, _dropout3, FeedForward);
    }
}
