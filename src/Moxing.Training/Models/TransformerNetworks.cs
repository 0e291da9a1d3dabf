using Moxing.Core.Autograd;
using Moxing.Nn.Attention;
using Moxing.Nn.Layers;
using Moxing.Nn.Modules;

namespace Moxing.Training.Models;

/// <summary>
/// A pre-norm transformer over token ids with learned positions: as a text classifier (padding masked, mean
/// pooled, linear head) or, with causal attention and a bias-free head over the vocabulary at every position, a GPT
/// that is exactly GPT-2's architecture (with exact GELU), so it exports as a Hugging Face GPT-2 model.
/// </summary>
public sealed class TransformerNetwork : Layer
{
    private readonly int _padId;
    private readonly bool _causal;
    private readonly Embedding _tokens;
    private readonly Tensor _positions;
    private readonly Dropout _dropout;
    private readonly ModuleList<TransformerEncoderLayer> _layers;
    private readonly LayerNorm _norm;
    private readonly Linear _head;

    /// <summary>Builds the network; <paramref name="causal"/> makes it a language model over <paramref name="input"/>'s vocabulary.</summary>
    public TransformerNetwork(ModelInput input, TransformerSize size, float dropout, int padId, bool causal, Random rng)
    {
        size.Check();
        var dim = size.Dim;
        // A language model has no padding: every id, the pad id included, is a real token.
        _padId = causal ? -1 : padId;
        _causal = causal;
        MaxLength = input.ExampleShape[^1];
        _tokens = RegisterModule("tokens", new Embedding(input.VocabularySize, dim, causal ? null : padId, rng));
        // Small initial scales as GPT-2 (0.02) keep the first steps stable.
        _tokens.Weight.FillNormal(rng, 0f, 0.02f);
        if (!causal) _tokens.Weight.Data.Slice(padId * dim, dim).Clear();
        _positions = RegisterParameter("positions", Tensor.Normal(rng, 0f, 0.02f, MaxLength, dim));
        _dropout = RegisterModule("dropout", new Dropout(dropout, rng));
        _layers = RegisterModule("layers", new ModuleList<TransformerEncoderLayer>());
        var options = new TransformerOptions(dim, size.Heads, size.FeedForwardWidth, dropout, Gelu: true, BatchFirst: true, NormFirst: true, HeadDim: size.HeadDim);
        for (var i = 0; i < size.Layers; i++) _layers.Add(new TransformerEncoderLayer(options, rng));
        _norm = RegisterModule("norm", new LayerNorm(dim));
        // GPT-2's lm_head has no bias; the classifier's head keeps one.
        _head = RegisterModule("head", new Linear(dim, input.Outputs, bias: !causal, rng: rng));
    }

    /// <summary>Longest sequence the learned positions cover.</summary>
    public int MaxLength { get; }

    /// <summary>Whether this is the causal language model (GPT) rather than the classifier.</summary>
    public bool IsCausal => _causal;

    /// <summary>The transformer blocks.</summary>
    public IReadOnlyList<TransformerEncoderLayer> Blocks => _layers.Items;

    /// <summary>Logits [B, classes] (classifier) or [B, T, vocabulary] (causal).</summary>
    public override Tensor Forward(Tensor input)
    {
        var tokens = new TokenBatch(input, _padId);
        if (tokens.Length > MaxLength) throw new ArgumentException($"sequence of {tokens.Length} tokens is longer than the model's {MaxLength} positions");
        var positions = tokens.Length == MaxLength ? _positions : _positions.Narrow(0, 0, tokens.Length);
        var x = _dropout.Forward(_tokens.Forward(tokens.Ids, tokens.Batch, tokens.Length) + positions);
        var padding = _causal ? null : tokens.Padding;
        foreach (var layer in _layers.Items) x = layer.Forward(x, null, padding, _causal);
        x = _norm.Forward(x);
        return _head.Forward(_causal ? x : tokens.MeanPool(x));
    }
}
