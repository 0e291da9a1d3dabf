using System.Numerics.Tensors;
using Moxing.Core;
using Moxing.Core.Kernels;
using Moxing.Core.Ops;
using Moxing.Core.Quantization;
using Moxing.Models.Layers;

namespace Moxing.Models.Decoder;

/// <summary>One decoder-only transformer whose family-specific behaviour comes from <see cref="DecoderOptions"/>.</summary>
public sealed class DecoderModel : IDisposable
{
    private readonly IDisposable? _owner;
    private readonly Dictionary<int, RopeTable> _ropeTables = [];

    /// <summary>The switches of this model.</summary>
    public DecoderOptions Options { get; }

    /// <summary>The weights.</summary>
    public DecoderWeights Weights { get; }

    /// <summary>Builds a model over weights whose memory <paramref name="owner"/> keeps alive.</summary>
    public DecoderModel(DecoderOptions options, DecoderWeights weights, IDisposable? owner)
    {
        Options = options;
        Weights = weights;
        _owner = owner;
    }

    /// <summary>A KV cache for <paramref name="context"/> positions.</summary>
    public KvCache CreateCache(int context) => new(Options.LayerCount, Options.KvHeadCount, Options.HeadDim, context);

    /// <summary>Activation buffers for chunks of up to <paramref name="tokens"/> tokens.</summary>
    public DecoderScratch CreateScratch(int tokens) => new(Options, tokens);

    /// <summary>
    /// Runs <paramref name="tokens"/> at positions startPosition.. through the model, appending their keys/values to
    /// <paramref name="cache"/>. Writes the logits of every token ([n, vocab]) when <paramref name="allLogits"/>, else of the last.
    /// </summary>
    public void Forward(ReadOnlySpan<int> tokens, int startPosition, KvCache cache, DecoderScratch s, Span<float> logits, bool allLogits)
    {
        var o = Options;
        var n = tokens.Length;
        if (n == 0 || n > s.Tokens) throw new ArgumentException($"a forward call takes 1..{s.Tokens} tokens, got {n}");
        if (startPosition + n > cache.Capacity)
            throw new MoxingException($"context full: {startPosition + n} positions exceed the context of {cache.Capacity}");
        int h = o.HiddenSize, qDim = o.HeadCount * o.HeadDim, kvDim = o.KvHeadCount * o.HeadDim;
        var x = s.Hidden.AsSpan(0, n * h);
        Embed(tokens, startPosition, x, s.Projected);
        var rope = o.Rope == null ? null : RopeFor(cache.Capacity);
        for (var l = 0; l < o.LayerCount; l++)
        {
            var layer = Weights.Layers[l];
            var xn = s.Normed.AsSpan(0, n * h);
            layer.AttentionNorm.Apply(x, xn);
            Span<float> q = s.Q.AsSpan(0, n * qDim), k = s.K.AsSpan(0, n * kvDim), v = s.V.AsSpan(0, n * kvDim);
            Project(layer.Attention, xn, n, q, k, v, s.Fused);
            for (var t = 0; t < n; t++)
            {
                var qt = q.Slice(t * qDim, qDim);
                var kt = k.Slice(t * kvDim, kvDim);
                layer.Attention.QNorm?.Apply(qt, qt);
                layer.Attention.KNorm?.Apply(kt, kt);
                rope?.Apply(qt, o.HeadDim, startPosition + t);
                rope?.Apply(kt, o.HeadDim, startPosition + t);
                cache.Store(l, startPosition + t, kt, v.Slice(t * kvDim, kvDim));
            }
            Attend(l, startPosition, n, q, cache, s);
            var projected = s.Projected.AsSpan(0, n * h);
            layer.Attention.O.Forward(s.AttentionOut, n, projected);
            layer.PostAttentionNorm?.Apply(projected, projected);
            TensorPrimitives.Add(x, projected, x);

            layer.MlpNorm.Apply(x, xn);
            Mlp(layer.Mlp, xn, n, projected, s);
            layer.PostMlpNorm?.Apply(projected, projected);
            TensorPrimitives.Add(x, projected, x);
        }
        var first = allLogits ? 0 : n - 1;
        var rows = n - first;
        var last = x.Slice(first * h, rows * h);
        Weights.FinalNorm.Apply(last, last);
        var outLogits = logits[..(rows * o.VocabSize)];
        Weights.Output.Forward(last, rows, outLogits);
        if (o.FinalLogitSoftCap > 0)
        {
            var cap = o.FinalLogitSoftCap;
            TensorPrimitives.Divide(outLogits, cap, outLogits);
            TensorPrimitives.Tanh(outLogits, outLogits);
            TensorPrimitives.Multiply(outLogits, cap, outLogits);
        }
    }

    private void Embed(ReadOnlySpan<int> tokens, int startPosition, Span<float> x, Span<float> temp)
    {
        var h = Options.HiddenSize;
        var table = Weights.TokenEmbedding;
        for (var t = 0; t < tokens.Length; t++)
        {
            var id = tokens[t];
            if ((uint)id >= (uint)Options.VocabSize)
                throw new MoxingException($"token id {id} is out of range: the vocabulary has {Options.VocabSize} tokens");
            var row = x.Slice(t * h, h);
            Dequantizer.Dequantize(table.Type, table.Row(id), row);
            if (Options.EmbeddingScale != 1f) TensorPrimitives.Multiply(row, Options.EmbeddingScale, row);
            if (Weights.PositionEmbedding is { } positions)
            {
                var pos = startPosition + t;
                if (pos >= positions.RowCount)
                    throw new MoxingException($"position {pos} is beyond the model's {positions.RowCount} learned positions");
                var positionRow = temp[..h];
                Dequantizer.Dequantize(positions.Type, positions.Row(pos), positionRow);
                TensorPrimitives.Add(row, positionRow, row);
            }
        }
    }

    private static void Project(AttentionWeights a, ReadOnlySpan<float> xn, int n, Span<float> q, Span<float> k, Span<float> v, float[] fused)
    {
        if (a.Qkv is { } qkv)
        {
            var all = fused.AsSpan(0, n * qkv.OutFeatures);
            qkv.Forward(xn, n, all);
            int qDim = q.Length / n, kvDim = k.Length / n;
            for (var t = 0; t < n; t++)
            {
                var row = all.Slice(t * qkv.OutFeatures, qkv.OutFeatures);
                row[..qDim].CopyTo(q.Slice(t * qDim, qDim));
                row.Slice(qDim, kvDim).CopyTo(k.Slice(t * kvDim, kvDim));
                row.Slice(qDim + kvDim, kvDim).CopyTo(v.Slice(t * kvDim, kvDim));
            }
            return;
        }
        a.Q!.Forward(xn, n, q);
        a.K!.Forward(xn, n, k);
        a.V!.Forward(xn, n, v);
    }

    private void Attend(int layer, int startPosition, int n, ReadOnlySpan<float> q, KvCache cache, DecoderScratch s)
    {
        var job = new AttentionJob(Options, layer, startPosition, q, cache, s.AttentionOut);
        WorkerPool.Shared.ParallelFor(n * Options.HeadCount, ref job);
    }

    // One item per (token, query head); each reads its KV head in place (GQA without copies).
    private readonly ref struct AttentionJob(DecoderOptions o, int layer, int startPosition, ReadOnlySpan<float> q, KvCache cache, float[] output)
        : IParallelJob
    {
        private readonly ReadOnlySpan<float> _q = q;

        [ThreadStatic] private static float[]? _scores;

        public void Execute(int start, int end)
        {
            int hd = o.HeadDim, groups = o.HeadCount / o.KvHeadCount, window = o.WindowOf(layer);
            var scale = o.EffectiveAttentionScale;
            var scores = _scores is { } buffer && buffer.Length >= cache.Capacity ? buffer : _scores = new float[cache.Capacity];
            for (var item = start; item < end; item++)
            {
                int t = item / o.HeadCount, head = item % o.HeadCount, g = head / groups;
                var pos = startPosition + t;
                var first = window > 0 ? Math.Max(0, pos - window + 1) : 0;
                var offset = item * hd;
                Attention.Head(_q.Slice(offset, hd), cache.Keys(layer, g), cache.Values(layer, g), hd, first, pos - first + 1,
                    scale, o.AttentionSoftCap, scores, output.AsSpan(offset, hd));
            }
        }
    }

    private void Mlp(MlpWeights m, ReadOnlySpan<float> xn, int n, Span<float> output, DecoderScratch s)
    {
        var ff = Options.IntermediateSize;
        Span<float> gate = s.Gate.AsSpan(0, n * ff), up = s.Up.AsSpan(0, n * ff);
        if (m.GateUp is { } gateUp)
        {
            var all = s.Fused.AsSpan(0, n * 2 * ff);
            gateUp.Forward(xn, n, all);
            for (var t = 0; t < n; t++)
            {
                all.Slice(t * 2 * ff, ff).CopyTo(gate.Slice(t * ff, ff));
                all.Slice(t * 2 * ff + ff, ff).CopyTo(up.Slice(t * ff, ff));
            }
        }
        else
        {
            m.Up!.Forward(xn, n, up);
            m.Gate?.Forward(xn, n, gate);
        }
        if (Options.GatedMlp) Activations.Gated(Options.Activation, gate, up);
        else Activations.Apply(Options.Activation, up);
        m.Down.Forward(Options.GatedMlp ? gate : up, n, output);
    }

    private RopeTable RopeFor(int context)
    {
        lock (_ropeTables)
        {
            if (!_ropeTables.TryGetValue(context, out var table))
                _ropeTables[context] = table = new RopeTable(Options.Rope!, context);
            return table;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _owner?.Dispose();
}
