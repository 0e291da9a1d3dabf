using System.Numerics.Tensors;
using Moxing.Core;
using Moxing.Core.Ops;
using Moxing.Core.Quantization;
using Moxing.Core.Tensors;
using Moxing.Models.Layers;

namespace Moxing.Models.Encoder;

/// <summary>Hyper-parameters of a BERT encoder.</summary>
/// <param name="VocabSize">Rows of the word embedding.</param>
/// <param name="HiddenSize">Width of the hidden states.</param>
/// <param name="LayerCount">Encoder layers.</param>
/// <param name="HeadCount">Attention heads.</param>
/// <param name="IntermediateSize">Width of the feed-forward layer.</param>
/// <param name="MaxPositions">Learned positions.</param>
/// <param name="NormEps">LayerNorm epsilon.</param>
/// <param name="Activation">Feed-forward activation.</param>
public sealed record BertOptions(int VocabSize, int HiddenSize, int LayerCount, int HeadCount, int IntermediateSize,
    int MaxPositions, float NormEps, Activation Activation);

/// <summary>One BERT layer: self-attention and feed-forward, each followed by add + LayerNorm.</summary>
internal sealed record BertLayer(Linear Query, Linear Key, Linear Value, Linear AttentionOutput, Norm AttentionNorm,
    Linear Intermediate, Linear Output, Norm OutputNorm);

/// <summary>A BERT encoder: bidirectional attention, post-norm, producing hidden states and pooled sentence embeddings.</summary>
public sealed class BertModel : IDisposable
{
    private readonly IDisposable _owner;
    private readonly StoredTensor _words, _positions;
    private readonly StoredTensor? _tokenTypes;
    private readonly Norm _embeddingNorm;
    private readonly BertLayer[] _layers;

    /// <summary>The hyper-parameters.</summary>
    public BertOptions Options { get; }

    private BertModel(BertOptions options, StoredTensor words, StoredTensor positions, StoredTensor? tokenTypes,
        Norm embeddingNorm, BertLayer[] layers, IDisposable owner)
    {
        Options = options;
        _words = words;
        _positions = positions;
        _tokenTypes = tokenTypes;
        _embeddingNorm = embeddingNorm;
        _layers = layers;
        _owner = owner;
    }

    /// <summary>Binds HF BERT tensor names ("bert." prefix optional); the model owns <paramref name="source"/>.</summary>
    public static BertModel Load(BertOptions o, ITensorSource source, string path)
    {
        var t = new PrefixedTensors(source, "bert.");
        StoredTensor Tensor(string name) => t.Find(name) ?? throw new InvalidModelFileException(path, $"tensor '{name}' is missing");
        float[] Vector(string name, int size) => Tensor(name).ToFloats(size, path);
        Linear Dense(string prefix, int rows, int cols)
        {
            var w = Tensor(prefix + ".weight");
            if (w.Shape.Length != 2 || w.Shape[0] != rows || w.Shape[1] != cols)
                throw new InvalidModelFileException(path, $"tensor '{w.Name}' has shape [{string.Join(", ", w.Shape)}], expected [{rows}, {cols}]");
            return new Linear(w, Vector(prefix + ".bias", rows));
        }
        Norm LayerNorm(string prefix) =>
            new(Decoder.NormKind.Layer, Vector(prefix + ".weight", o.HiddenSize), Vector(prefix + ".bias", o.HiddenSize), o.NormEps);

        int h = o.HiddenSize, ff = o.IntermediateSize;
        var layers = new BertLayer[o.LayerCount];
        for (var i = 0; i < layers.Length; i++)
        {
            var p = $"encoder.layer.{i}.";
            layers[i] = new BertLayer(Dense(p + "attention.self.query", h, h), Dense(p + "attention.self.key", h, h),
                Dense(p + "attention.self.value", h, h), Dense(p + "attention.output.dense", h, h),
                LayerNorm(p + "attention.output.LayerNorm"), Dense(p + "intermediate.dense", ff, h),
                Dense(p + "output.dense", h, ff), LayerNorm(p + "output.LayerNorm"));
        }
        return new BertModel(o, Tensor("embeddings.word_embeddings.weight"), Tensor("embeddings.position_embeddings.weight"),
            t.Find("embeddings.token_type_embeddings.weight"), LayerNorm("embeddings.LayerNorm"), layers, source);
    }

    /// <summary>The last hidden state [n, hidden] of <paramref name="ids"/> (token type 0, no padding).</summary>
    public float[] Encode(ReadOnlySpan<int> ids)
    {
        var o = Options;
        int n = ids.Length, h = o.HiddenSize, heads = o.HeadCount, hd = h / heads;
        if (n == 0) throw new MoxingException("nothing to encode: the input is empty");
        if (n > o.MaxPositions) throw new MoxingException($"the input has {n} tokens but the model takes at most {o.MaxPositions}");
        var x = new float[n * h];
        var row = new float[h];
        for (var t = 0; t < n; t++)
        {
            if ((uint)ids[t] >= (uint)o.VocabSize)
                throw new MoxingException($"token id {ids[t]} is out of range: the vocabulary has {o.VocabSize} tokens");
            var xt = x.AsSpan(t * h, h);
            Dequantizer.Dequantize(_words.Type, _words.Row(ids[t]), xt);
            Dequantizer.Dequantize(_positions.Type, _positions.Row(t), row);
            TensorPrimitives.Add(xt, row, xt);
            if (_tokenTypes != null)
            {
                Dequantizer.Dequantize(_tokenTypes.Type, _tokenTypes.Row(0), row);
                TensorPrimitives.Add(xt, row, xt);
            }
        }
        _embeddingNorm.Apply(x, x);
        float[] q = new float[n * h], k = new float[n * h], v = new float[n * h], attention = new float[n * h];
        float[] projected = new float[n * h], inner = new float[n * o.IntermediateSize], scores = new float[n];
        float[] keys = new float[n * hd], values = new float[n * hd];
        var scale = 1f / MathF.Sqrt(hd);
        foreach (var layer in _layers)
        {
            layer.Query.Forward(x, n, q);
            layer.Key.Forward(x, n, k);
            layer.Value.Forward(x, n, v);
            for (var head = 0; head < heads; head++)
                AttendHead(q, k, v, head, n, h, hd, scale, scores, keys, values, attention);
            layer.AttentionOutput.Forward(attention, n, projected);
            TensorPrimitives.Add(projected, x, x);
            layer.AttentionNorm.Apply(x, x);
            layer.Intermediate.Forward(x, n, inner);
            Activations.Apply(o.Activation, inner);
            layer.Output.Forward(inner, n, projected);
            TensorPrimitives.Add(projected, x, x);
            layer.OutputNorm.Apply(x, x);
        }
        return x;
    }

    // Keys/values are laid out [token, hidden]; gather one head contiguously, then every token attends to all of it.
    private static void AttendHead(float[] q, float[] k, float[] v, int head, int n, int h, int hd, float scale,
        float[] scores, float[] keys, float[] values, float[] output)
    {
        for (var j = 0; j < n; j++)
        {
            k.AsSpan(j * h + head * hd, hd).CopyTo(keys.AsSpan(j * hd, hd));
            v.AsSpan(j * h + head * hd, hd).CopyTo(values.AsSpan(j * hd, hd));
        }
        for (var t = 0; t < n; t++)
            Attention.Head(q.AsSpan(t * h + head * hd, hd), keys, values, hd, 0, n, scale, 0, scores, output.AsSpan(t * h + head * hd, hd));
    }

    /// <summary>Mean of the hidden states over tokens, L2-normalised (sentence-transformers' mean pooling + normalize).</summary>
    public static float[] MeanPooledNormalized(ReadOnlySpan<float> hidden, int hiddenSize)
    {
        var n = hidden.Length / hiddenSize;
        var pooled = new float[hiddenSize];
        for (var t = 0; t < n; t++) TensorPrimitives.Add(pooled, hidden.Slice(t * hiddenSize, hiddenSize), pooled);
        TensorPrimitives.Divide(pooled, n, pooled);
        var norm = TensorPrimitives.Norm(pooled);
        TensorPrimitives.Divide(pooled, Math.Max(norm, 1e-12f), pooled);
        return pooled;
    }

    /// <inheritdoc />
    public void Dispose() => _owner.Dispose();
}
