using System.Numerics.Tensors;
using Moxing.Core;
using Moxing.Core.Kernels;
using Moxing.Core.Ops;
using Moxing.Core.Quantization;
using Moxing.Core.Tensors;
using Moxing.Models.Layers;

namespace Moxing.Models.Encoder;

/// <summary>One encoder layer: self-attention (split or fused q/k/v) and feed-forward (plain or gated), each followed by add + LayerNorm.</summary>
internal sealed record BertLayer(Linear? Query, Linear? Key, Linear? Value, Linear? Qkv, Linear AttentionOutput, Norm AttentionNorm,
    Linear? Gate, Linear Up, Linear Down, Norm OutputNorm);

/// <summary>
/// A BERT-style encoder: bidirectional attention, post-norm, producing hidden states and pooled sentence embeddings. Learned
/// positions (BERT, RoBERTa with its position offset) or rotary ones (nomic-bert), plain or gated feed-forward.
/// </summary>
public sealed class BertModel : IDisposable
{
    private readonly IDisposable _owner;
    private readonly StoredTensor _words;
    private readonly StoredTensor? _positions, _tokenTypes;
    private readonly Norm _embeddingNorm;
    private readonly BertLayer[] _layers;
    private readonly RopeTable? _rope;

    /// <summary>The hyper-parameters.</summary>
    public BertOptions Options { get; }

    /// <summary>Rows of the token-type (segment) embedding: 2 for BERT, 1 for RoBERTa, 0 for a model without one.</summary>
    public int TokenTypeCount => _tokenTypes == null ? 0 : (int)_tokenTypes.Shape[0];

    private BertModel(BertOptions options, StoredTensor words, StoredTensor? positions, StoredTensor? tokenTypes,
        Norm embeddingNorm, BertLayer[] layers, IDisposable owner)
    {
        Options = options;
        _words = words;
        _positions = positions;
        _tokenTypes = tokenTypes;
        _embeddingNorm = embeddingNorm;
        _layers = layers;
        _owner = owner;
        if (options.Rope is { } rope) _rope = new RopeTable(rope, options.MaxPositions);
    }

    /// <summary>Binds the tensors of <paramref name="source"/> named as <paramref name="names"/> says; the model owns <paramref name="source"/>.</summary>
    internal static BertModel Load(BertOptions o, ITensorSource source, EncoderTensorNames names, string path)
    {
        var t = new PrefixedTensors(source, names.BasePrefix);
        StoredTensor Tensor(string name) => t.Find(name) ?? throw new InvalidModelFileException(path, $"tensor '{name}' is missing");
        void CheckShape(StoredTensor w, params long[] shape)
        {
            if (!w.Shape.SequenceEqual(shape))
                throw new InvalidModelFileException(path, $"tensor '{w.Name}' has shape [{string.Join(", ", w.Shape)}], expected [{string.Join(", ", shape)}]");
        }
        float[] Vector(string name, int size) => Tensor(name).ToFloats(size, path);
        Linear Dense(string prefix, int rows, int cols)
        {
            var w = Tensor(prefix + ".weight");
            CheckShape(w, rows, cols);
            // llama.cpp's encoders take every bias as optional (nomic-bert has none)
            return new Linear(w, t.Find(prefix + ".bias") is { } b ? b.ToFloats(rows, path) : null);
        }
        Norm LayerNorm(string prefix) =>
            new(Decoder.NormKind.Layer, Vector(prefix + ".weight", o.HiddenSize), Vector(prefix + ".bias", o.HiddenSize), o.NormEps);

        if (o.HiddenSize % o.HeadCount != 0)
            throw new InvalidModelFileException(path, $"hidden size {o.HiddenSize} is not a multiple of the {o.HeadCount} attention heads");
        if (o.GatedFeedForward && names.Gate == null)
            throw new InvalidModelFileException(path, "the options ask for a gated feed-forward but the layout names no gate tensor");
        int h = o.HiddenSize, ff = o.IntermediateSize;
        var layers = new BertLayer[o.LayerCount];
        for (var i = 0; i < layers.Length; i++)
        {
            string P(string pattern) => EncoderTensorNames.ForLayer(pattern, i);
            // a fused qkv when the file has one (or the layout names no split ones, so that its absence is what is reported)
            var qkv = names.Qkv is { } fused && (names.Query == null || t.Find(P(fused) + ".weight") != null) ? Dense(P(fused), 3 * h, h) : null;
            Linear? Split(string? pattern) => qkv != null ? null : Dense(P(pattern!), h, h);
            layers[i] = new BertLayer(Split(names.Query), Split(names.Key), Split(names.Value), qkv,
                Dense(P(names.AttentionOutput), h, h), LayerNorm(P(names.AttentionNorm)),
                o.GatedFeedForward ? Dense(P(names.Gate!), ff, h) : null, Dense(P(names.Up), ff, h), Dense(P(names.Down), h, ff),
                LayerNorm(P(names.OutputNorm)));
        }
        var words = Tensor(names.Words + ".weight");
        CheckShape(words, o.VocabSize, h);
        StoredTensor? positions = null;
        if (o.Rope == null)
        {
            positions = Tensor((names.Positions ?? throw new InvalidModelFileException(path, "the model has neither learned nor rotary positions")) + ".weight");
            if (positions.Shape.Length != 2 || positions.Shape[1] != h || positions.Shape[0] < o.MaxPositions + o.PositionOffset)
                throw new InvalidModelFileException(path, $"tensor '{positions.Name}' has shape [{string.Join(", ", positions.Shape)}], expected [{o.MaxPositions + o.PositionOffset}, {h}]");
        }
        var tokenTypes = t.Find(names.TokenTypes + ".weight");
        if (tokenTypes != null && (tokenTypes.Shape.Length != 2 || tokenTypes.Shape[1] != h || tokenTypes.Shape[0] < 1))
            throw new InvalidModelFileException(path, $"tensor '{tokenTypes.Name}' has shape [{string.Join(", ", tokenTypes.Shape)}], expected [types, {h}]");
        return new BertModel(o, words, positions, tokenTypes, LayerNorm(names.EmbeddingNorm), layers, source);
    }

    /// <summary>The last hidden state [n, hidden] of <paramref name="ids"/> (token type 0, no padding).</summary>
    public float[] Encode(ReadOnlySpan<int> ids) => EncodeMany([ids.ToArray()])[0];

    /// <summary>
    /// The last hidden states of several inputs ([n_i, hidden] each) in one pass: every projection multiplies all their tokens at
    /// once (the weights are read once for the batch), attention runs per input and head on the worker pool. No padding: each input
    /// attends to its own tokens only, with its own positions, so each result equals <see cref="Encode"/> of that input alone.
    /// <paramref name="tokenTypes"/> gives each token's type (segment) id, as a tokenizer's pair template sets them; null: all 0.
    /// </summary>
    public float[][] EncodeMany(IReadOnlyList<int[]> inputs, IReadOnlyList<int[]>? tokenTypes = null)
    {
        var o = Options;
        int h = o.HiddenSize, heads = o.HeadCount, hd = h / heads;
        var starts = new int[inputs.Count + 1];
        if (tokenTypes != null && tokenTypes.Count != inputs.Count)
            throw new ArgumentException($"{tokenTypes.Count} token-type lists for {inputs.Count} inputs", nameof(tokenTypes));
        for (var i = 0; i < inputs.Count; i++)
        {
            var length = inputs[i].Length;
            if (length == 0) throw new MoxingException(inputs.Count == 1 ? "nothing to encode: the input is empty" : $"nothing to encode: input {i} is empty");
            if (length > o.MaxPositions) throw new MoxingException($"the input has {length} tokens but the model takes at most {o.MaxPositions}");
            if (tokenTypes?[i] is { } types && types.Length != length)
                throw new MoxingException($"input {i} has {length} tokens but {types.Length} token types");
            starts[i + 1] = starts[i] + length;
        }
        var n = starts[^1];
        var x = new float[n * h];
        var row = new float[h];
        for (var i = 0; i < inputs.Count; i++)
            for (var t = 0; t < inputs[i].Length; t++)
            {
                var id = inputs[i][t];
                if ((uint)id >= (uint)o.VocabSize) throw new MoxingException($"token id {id} is out of range: the vocabulary has {o.VocabSize} tokens");
                var xt = x.AsSpan((starts[i] + t) * h, h);
                Dequantizer.Dequantize(_words.Type, _words.Row(id), xt);
                if (_positions != null) AddRow(_positions, o.PositionOffset + t, xt, row);
                var type = tokenTypes?[i][t] ?? 0;
                if ((uint)type >= (uint)Math.Max(TokenTypeCount, 1))
                    throw new MoxingException($"token type {type} is out of range: the model has {TokenTypeCount} token types");
                if (_tokenTypes != null) AddRow(_tokenTypes, type, xt, row);
            }
        _embeddingNorm.Apply(x, x);
        float[] q = new float[n * h], k = new float[n * h], v = new float[n * h], attention = new float[n * h];
        float[] projected = new float[n * h], inner = new float[n * o.IntermediateSize];
        var gate = o.GatedFeedForward ? new float[n * o.IntermediateSize] : null;
        var fused = _layers.Any(l => l.Qkv != null) ? new float[n * 3 * h] : null;
        foreach (var layer in _layers)
        {
            Project(layer, x, n, h, fused, q, k, v);
            if (_rope != null)
                for (var i = 0; i < inputs.Count; i++)
                    for (var t = starts[i]; t < starts[i + 1]; t++)
                    {
                        _rope.Apply(q.AsSpan(t * h, h), hd, t - starts[i]);
                        _rope.Apply(k.AsSpan(t * h, h), hd, t - starts[i]);
                    }
            var attend = new AttentionJob(q, k, v, attention, starts, heads, h, hd);
            WorkerPool.Shared.ParallelFor(inputs.Count * heads, ref attend);
            layer.AttentionOutput.Forward(attention, n, projected);
            TensorPrimitives.Add(projected, x, x);
            layer.AttentionNorm.Apply(x, x);
            if (layer.Gate != null)
            {
                Linear.Forward(x, n, layer.Gate, gate!, layer.Up, inner);
                Activations.Gated(o.Activation, gate!, inner);
                layer.Down.Forward(gate!, n, projected);
            }
            else
            {
                layer.Up.Forward(x, n, inner);
                Activations.Apply(o.Activation, inner);
                layer.Down.Forward(inner, n, projected);
            }
            TensorPrimitives.Add(projected, x, x);
            layer.OutputNorm.Apply(x, x);
        }
        if (inputs.Count == 1) return [x];
        var hidden = new float[inputs.Count][];
        for (var i = 0; i < inputs.Count; i++) hidden[i] = x[(starts[i] * h)..(starts[i + 1] * h)];
        return hidden;
    }

    private static void AddRow(StoredTensor table, int index, Span<float> x, float[] row)
    {
        Dequantizer.Dequantize(table.Type, table.Row(index), row);
        TensorPrimitives.Add(x, row, x);
    }

    // A fused [3h, h] projection writes [n, 3h] rows: q, k and v side by side in each.
    private static void Project(BertLayer layer, float[] x, int n, int h, float[]? fused, float[] q, float[] k, float[] v)
    {
        if (layer.Qkv == null)
        {
            Linear.Forward(x, n, layer.Query!, q, layer.Key!, k, layer.Value!, v);
            return;
        }
        layer.Qkv.Forward(x, n, fused);
        for (var t = 0; t < n; t++)
        {
            fused.AsSpan(t * 3 * h, h).CopyTo(q.AsSpan(t * h, h));
            fused.AsSpan(t * 3 * h + h, h).CopyTo(k.AsSpan(t * h, h));
            fused.AsSpan(t * 3 * h + 2 * h, h).CopyTo(v.AsSpan(t * h, h));
        }
    }

    // Attention of every (input, head) pair: keys/values are laid out [token, hidden]; one head of one input is gathered
    // contiguously, then each of the input's tokens attends to all of it.
    private readonly struct AttentionJob(float[] q, float[] k, float[] v, float[] output, int[] starts, int heads, int h, int hd) : IParallelJob
    {
        public void Execute(int start, int end)
        {
            var scale = 1f / MathF.Sqrt(hd);
            for (var pair = start; pair < end; pair++)
            {
                int input = pair / heads, head = pair % heads, first = starts[input], n = starts[input + 1] - first;
                float[] keys = new float[n * hd], values = new float[n * hd], scores = new float[n];
                for (var j = 0; j < n; j++)
                {
                    k.AsSpan((first + j) * h + head * hd, hd).CopyTo(keys.AsSpan(j * hd, hd));
                    v.AsSpan((first + j) * h + head * hd, hd).CopyTo(values.AsSpan(j * hd, hd));
                }
                for (var t = first; t < first + n; t++)
                    Attention.Head(q.AsSpan(t * h + head * hd, hd), keys, values, hd, 0, n, scale, 0, scores, output.AsSpan(t * h + head * hd, hd));
            }
        }
    }

    /// <summary>Mean of the hidden states [n, <paramref name="hiddenSize"/>] over tokens.</summary>
    public static float[] MeanPooled(ReadOnlySpan<float> hidden, int hiddenSize)
    {
        var n = hidden.Length / hiddenSize;
        var pooled = new float[hiddenSize];
        for (var t = 0; t < n; t++) TensorPrimitives.Add(pooled, hidden.Slice(t * hiddenSize, hiddenSize), pooled);
        TensorPrimitives.Divide(pooled, n, pooled);
        return pooled;
    }

    /// <summary>Mean of the hidden states over tokens, L2-normalised (sentence-transformers' mean pooling + normalize).</summary>
    public static float[] MeanPooledNormalized(ReadOnlySpan<float> hidden, int hiddenSize)
    {
        var pooled = MeanPooled(hidden, hiddenSize);
        TensorPrimitives.Divide(pooled, Math.Max(TensorPrimitives.Norm(pooled), 1e-12f), pooled);
        return pooled;
    }

    /// <inheritdoc />
    public void Dispose() => _owner.Dispose();
}
