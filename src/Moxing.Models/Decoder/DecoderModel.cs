using System.Numerics.Tensors;
using Moxing.Core;
using Moxing.Core.Kernels;
using Moxing.Core.Ops;
using Moxing.Core.Quantization;
using Moxing.Core.Tensors;
using Moxing.Models.Layers;

namespace Moxing.Models.Decoder;

/// <summary>One decoder-only transformer whose family-specific behaviour comes from <see cref="DecoderOptions"/>.</summary>
public sealed partial class DecoderModel : IDisposable
{
    private readonly IDisposable? _owner;
    private readonly object _ropeGate = new();
    private (RopeConfig Source, RopeTable Table)[] _ropes = [];
    // Counted once: a step must not allocate.
    private readonly int _mostCacheHeads;
    // ALiBi's slope per query head, null without it.
    private readonly float[]? _alibiSlopes;

    /// <summary>The switches of this model.</summary>
    public DecoderOptions Options { get; }

    /// <summary>The weights.</summary>
    public DecoderWeights Weights { get; }

    /// <summary>Sees every matrix product's input when set (importance-matrix collection); null on the normal path.</summary>
    public IMatMulObserver? MatMulObserver { get; set; }

    /// <summary>Builds a model over weights whose memory <paramref name="owner"/> keeps alive.</summary>
    public DecoderModel(DecoderOptions options, DecoderWeights weights, IDisposable? owner)
    {
        Options = options;
        Weights = weights;
        _owner = owner;
        _mostCacheHeads = options.MostCacheHeads;
        _alibiSlopes = options.AlibiMaxBias > 0 ? options.AlibiSlopes() : null;
    }

    /// <summary>A single-sequence KV cache for <paramref name="context"/> positions, stored as <paramref name="type"/> (F16, Q8_0 or F32).</summary>
    public KvCache CreateCache(int context, DType type = DType.F16) => new(Options, context, type);

    /// <summary>
    /// A pool of KV blocks for many sequences, as many as fit in <paramref name="byteBudget"/> bytes beside the recurrent state of
    /// <paramref name="sequences"/> sequences at once (models with recurrent layers).
    /// </summary>
    public KvBlockPool CreateBlockPool(long byteBudget, DType type = DType.F16, int blockSize = 16, int sequences = 16) =>
        KvBlockPool.ForBudget(Options, type, byteBudget, blockSize, sequences);

    /// <summary>Activation buffers for steps of up to <paramref name="tokens"/> tokens in all.</summary>
    public BatchScratch CreateScratch(int tokens) => new(Options, tokens);

    /// <summary>
    /// Runs <paramref name="tokens"/> through the model at positions sequence.Length onwards, appending their keys/values
    /// to <paramref name="sequence"/>. Writes the logits of every token ([n, vocab]) when <paramref name="allLogits"/>, else of the last.
    /// <paramref name="spans"/> replace the embeddings of the positions they cover (see <see cref="BatchSlice.Spans"/>).
    /// </summary>
    public void Forward(ReadOnlySpan<int> tokens, SequenceKv sequence, BatchScratch s, Span<float> logits, bool allLogits, IReadOnlyList<EmbeddedSpan>? spans = null)
    {
        var step = new BatchStep(this, s);
        step.Add(sequence, tokens, allLogits ? LogitsWanted.All : LogitsWanted.Last, spans);
        step.Run(logits);
    }

    /// <summary>
    /// One step over several sequences: every token of every slice goes through each projection as one matrix product,
    /// attention reads each sequence's own blocks. Each slice's tokens are appended at its sequence's Length. Logits are
    /// written in slice order ([rows, vocab], see <see cref="BatchSlice.LogitRows"/>); returns the number of rows. Bad input
    /// (token id, context or pool exhausted) throws before any sequence changes.
    /// </summary>
    public int ForwardBatch(ReadOnlySpan<BatchSlice> slices, BatchScratch s, Span<float> logits)
    {
        if (slices.IsEmpty) throw new ArgumentException("a batch needs at least one slice", nameof(slices));
        var step = new BatchStep(this, s);
        foreach (var slice in slices) step.Add(slice.Sequence, slice.Tokens.Span, slice.Logits, slice.Spans);
        return step.Run(logits);
    }

    /// <summary>
    /// Runs <paramref name="tokens"/> like <see cref="Forward"/> but writes every token's final hidden state (after the final
    /// norm, [n, hidden]) instead of logits: what embedding models pool.
    /// </summary>
    public void HiddenStates(ReadOnlySpan<int> tokens, SequenceKv sequence, BatchScratch s, Span<float> hidden)
    {
        var step = new BatchStep(this, s);
        step.Add(sequence, tokens, LogitsWanted.All);
        step.Run(hidden, hidden: true);
    }

    /// <summary>
    /// Runs a step gathered by <see cref="BatchStep"/>: every layer over the n tokens of the scratch, then the logits of the wanted
    /// rows (or, when <paramref name="hidden"/>, their normed hidden states).
    /// </summary>
    internal void Run(BatchScratch s, int slices, int n, Span<float> logits, bool hidden = false)
    {
        var o = Options;
        var h = o.HiddenSize;
        var x = s.Hidden.AsSpan(0, n * h);
        Embed(s, n, x, s.Projected);
        Weights.EmbeddingNorm?.Apply(x, x);
        if (Weights.PerLayerEmbeddings is { } perLayer) PerLayerInputs(perLayer, s, n, x);
        if (Weights.AltUpStreams is { } streams) SpreadStreams(streams, s, n, x);
        var tiles = PagedAttentionJob.Tile(s, slices, n * _mostCacheHeads);
        // Attention layers store keys and values in the pool's layers in model order (a layer sharing another's reads its source's);
        // recurrent layers their state one after another in each sequence's slot.
        var stateOffset = 0;
        for (var l = 0; l < o.LayerCount; l++)
        {
            var layer = Weights.Layers[l];
            var projected = s.Projected.AsSpan(0, n * h);
            // AltUp: the layer runs on its prediction of the active stream.
            if (layer.AltUp is { } altUp) Predict(altUp, s, n, x);
            ReadOnlySpan<float> xn = x;
            // A Nemotron-H feed-forward block has no mixer.
            if (!o.IsFeedForwardBlock(l))
            {
                xn = Mix(layer, l, stateOffset, x, n, slices, tiles, projected, s);
                if (layer.Laurel is { } laurel) Laurel(laurel, xn, n, s);
                layer.PostAttentionNorm?.Apply(projected, projected);
                AddResidual(x, projected);
                if (layer.Laurel != null) AddLaurel(x, s);
            }
            stateOffset += o.StateFloatsOf(l);

            // A plain Mamba2 block, and a Nemotron-H mixer block, is its mixer alone.
            if (o.HasFeedForwardAt(l))
            {
                // A parallel block's MLP reads the same normed input as its attention (xn still holds it).
                if (!o.ParallelBlock) xn = Normed(layer.MlpNorm, x, s.Normed.AsSpan(0, n * h));
                if (layer.Moe is { } moe) Experts(moe, x, xn, n, projected, s);
                else Mlp(layer.Mlp!, xn, n, projected, s, o.XieluLayers.Length > 0 ? o.XieluLayers[l] : null, o.GateSparsityOf(l));
                layer.PostMlpNorm?.Apply(projected, projected);
                AddResidual(x, projected);
            }
            if (layer.AltUp is { } corrected) Correct(corrected, s, n, x);
            if (layer.PerLayerInput is { } input) AddPerLayerInput(input, layer.AltUp, l, s, n, x);
            if (layer.OutputScale != 1f) TensorPrimitives.Multiply(x, layer.OutputScale, x);
        }
        if (Weights.AltUpStreams is { } merged) MergeStreams(merged, s, n, x);
        Logits(s, slices, x, logits, hidden);
    }

    // The layer's norm and mixer (short convolution, Mamba2, gated DeltaNet or attention) over the stream x, its output in
    // `projected`; returns the normed input a parallel block's MLP reads. `tiles` is how many key tiles the batch's attention
    // is split into.
    private ReadOnlySpan<float> Mix(DecoderLayerWeights layer, int l, int stateOffset, ReadOnlySpan<float> x, int n, int slices,
        int tiles, Span<float> projected, BatchScratch s)
    {
        var o = Options;
        var h = o.HiddenSize;
        var xn = Normed(layer.AttentionNorm, x, s.Normed.AsSpan(0, n * h));
        if (layer.ShortConv is { } conv) ShortConv(conv, stateOffset, xn, n, slices, projected, s);
        else if (layer.Mamba is { } mamba && layer.Attention == null) Mamba(mamba, stateOffset, xn, n, slices, projected, s);
        else if (layer.DeltaNet is { } delta) DeltaNet(delta, stateOffset, xn, n, slices, projected, s);
        else
        {
            var attention = layer.Attention!;
            // Widths are the layer's cache's: MLA's absorbed queries and latent rows (DecoderOptions.CacheShapeOf).
            var cache = o.CacheShapeOf(l);
            var qDim = o.HeadCount * cache.HeadDim;
            Span<float> q = s.Q.AsSpan(0, n * qDim), k = s.K.AsSpan(0, n * cache.KvHeads * cache.HeadDim), v = s.V.AsSpan(0, n * o.KvHeadsOf(l) * o.ValueDimOf(l));
            if (attention.Mla is { } latent) ProjectLatent(attention, latent, xn, n, s);
            else if (o.AttentionOutputGate) ProjectGated(attention, xn, n, q, k, v, s);
            else Project(attention, xn, n, q, k, v, s.Fused);
            if (o.QkvClip > 0) Clip(o.QkvClip, q, k, v);
            // A parallel block with a norm of its MLP's own (Falcon-40B) norms the stream before attention adds to it.
            if (o.ParallelBlock && layer.MlpNorm != null) xn = Normed(layer.MlpNorm, x, s.Normed.AsSpan(0, n * h));
            // A layer sharing another's keys and values reads its source's pool layer.
            var kvLayer = o.PoolLayerOf(l);
            var store = new KvStoreJob(o, attention, l, kvLayer, s);
            WorkerPool.Shared.ParallelFor(n, ref store);
            var parts = PagedAttentionJob.Parts(o, l, tiles);
            var paged = new PagedAttentionJob(o, l, kvLayer, s, attention.Sinks, parts, _alibiSlopes);
            WorkerPool.Shared.ParallelFor(tiles * cache.KvHeads * parts, ref paged);
            if (o.AttentionOutputGate) GateAttention(s.AttentionOut.AsSpan(0, n * qDim), s.AttentionGate.AsSpan(0, n * qDim));
            Multiply(attention.O, attention.Mla is { } mla ? LatentValues(mla, n, s) : s.AttentionOut, n, projected);
            if (o.AttentionOutputScale != 1f) TensorPrimitives.Multiply(projected, o.AttentionOutputScale, projected);
            // Falcon-H1: the Mamba2 mixer beside the attention, on the same normed input.
            if (layer.Mamba is { } beside)
            {
                var mixed = s.Beside.AsSpan(0, n * h);
                Mamba(beside, stateOffset, xn, n, slices, mixed, s);
                TensorPrimitives.Add(projected, mixed, projected);
            }
        }
        return xn;
    }

    // OLMo's clip_qkv: every query, key and value clamped to ±clip before the rotation.
    private static void Clip(float clip, Span<float> q, Span<float> k, Span<float> v)
    {
        TensorPrimitives.Clamp(q, -clip, clip, q);
        TensorPrimitives.Clamp(k, -clip, clip, k);
        TensorPrimitives.Clamp(v, -clip, clip, v);
    }

    // The norm's output in `into`, or the stream itself when the block has no norm before it.
    private static ReadOnlySpan<float> Normed(Norm? norm, ReadOnlySpan<float> x, Span<float> into)
    {
        if (norm == null) return x;
        norm.Apply(x, into);
        return into;
    }

    // x += ResidualScale · branch (the branch's buffer is reused afterwards).
    private void AddResidual(Span<float> x, Span<float> branch)
    {
        if (Options.ResidualScale != 1f) TensorPrimitives.MultiplyAdd(branch, Options.ResidualScale, x, x);
        else TensorPrimitives.Add(x, branch, x);
    }

    // Gathers the rows whose logits are wanted, then one final norm and one product with the LM head for all of them.
    private void Logits(BatchScratch s, int slices, ReadOnlySpan<float> x, Span<float> logits, bool hidden)
    {
        var o = Options;
        var h = o.HiddenSize;
        var rows = 0;
        var gathered = s.Normed.AsSpan();
        for (var i = 0; i < slices; i++)
        {
            int first = s.SliceStart[i], end = s.SliceStart[i + 1];
            var from = s.SliceLogits[i] switch { LogitsWanted.None => end, LogitsWanted.Last => end - 1, _ => first };
            x.Slice(from * h, (end - from) * h).CopyTo(gathered.Slice(rows * h));
            rows += end - from;
        }
        if (rows == 0) return;
        var last = gathered[..(rows * h)];
        Weights.FinalNorm.Apply(last, last);
        if (hidden)
        {
            last.CopyTo(logits);
            return;
        }
        Multiply(Weights.Output, last, rows, logits);
        if (o.LogitDivisor != 1f) TensorPrimitives.Divide(logits[..(rows * o.VocabSize)], o.LogitDivisor, logits[..(rows * o.VocabSize)]);
        if (o.FinalLogitSoftCap > 0)
        {
            var cap = o.FinalLogitSoftCap;
            TensorPrimitives.Divide(logits, cap, logits);
            TensorPrimitives.Tanh(logits, logits);
            TensorPrimitives.Multiply(logits, cap, logits);
        }
    }

    private void Embed(BatchScratch s, int n, Span<float> x, Span<float> temp)
    {
        var h = Options.HiddenSize;
        var table = Weights.TokenEmbedding;
        for (var t = 0; t < n; t++)
        {
            var row = x.Slice(t * h, h);
            if (s.Embedded[t] is { } span) span.Rows.AsSpan((s.Positions[t] - span.Position) * h, h).CopyTo(row);
            else
            {
                Dequantizer.Dequantize(table.Type, table.Row(s.Ids[t]), row);
                if (Options.EmbeddingScale != 1f) TensorPrimitives.Multiply(row, Options.EmbeddingScale, row);
            }
            if (Weights.PositionEmbedding is { } positions)
            {
                var positionRow = temp[..h];
                Dequantizer.Dequantize(positions.Type, positions.Row(s.Positions[t]), positionRow);
                TensorPrimitives.Add(row, positionRow, row);
            }
        }
    }

    private void Project(AttentionWeights a, ReadOnlySpan<float> xn, int n, Span<float> q, Span<float> k, Span<float> v, float[] fused)
    {
        if (a.Qkv is { } qkv)
        {
            var all = fused.AsSpan(0, n * qkv.OutFeatures);
            Multiply(qkv, xn, n, all);
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
        // A layer sharing another's keys and values projects its queries alone.
        if (a.K == null)
        {
            Multiply(a.Q!, xn, n, q);
            return;
        }
        Observe(a.Q!, xn, n);
        Observe(a.K, xn, n);
        if (a.V == null)
        {
            // Keys serve as values (Gemma 4's attention_k_eq_v): the raw projection, before the key norm and rotation.
            Linear.Forward(xn, n, a.Q!, q, a.K, k);
            k.CopyTo(v);
            return;
        }
        Observe(a.V, xn, n);
        Linear.Forward(xn, n, a.Q!, q, a.K, k, a.V, v);
    }

    // The MLP's activation is the layer's xIELU when it has one (Apertus), else Options.Activation; a gate with a sparsity
    // multiplier (Gemma 3n) keeps only its gaussian top-k.
    private void Mlp(MlpWeights m, ReadOnlySpan<float> xn, int n, Span<float> output, BatchScratch s, XieluParameters? xielu = null, float? sparsity = null)
    {
        var ff = m.Down.InFeatures;
        Span<float> gate = s.Gate.AsSpan(0, n * ff), up = s.Up.AsSpan(0, n * ff);
        if (m.GateUp is { } gateUp)
        {
            var all = s.Fused.AsSpan(0, n * 2 * ff);
            Multiply(gateUp, xn, n, all);
            for (var t = 0; t < n; t++)
            {
                all.Slice(t * 2 * ff, ff).CopyTo(gate.Slice(t * ff, ff));
                all.Slice(t * 2 * ff + ff, ff).CopyTo(up.Slice(t * ff, ff));
            }
        }
        else if (m.Gate != null)
        {
            Observe(m.Gate, xn, n);
            Observe(m.Up!, xn, n);
            Linear.Forward(xn, n, m.Gate, gate, m.Up!, up);
        }
        else Multiply(m.Up!, xn, n, up);
        if (Options.MlpGateScale != 1f) TensorPrimitives.Multiply(gate, Options.MlpGateScale, gate);
        if (sparsity is { } multiplier) GaussianTopK(gate, n, ff, multiplier);
        if (Options.GatedMlp) Activations.Gated(Options.Activation, gate, up);
        else if (xielu != null) xielu.Apply(up);
        else Activations.Apply(Options.Activation, up);
        Multiply(m.Down, Options.GatedMlp ? gate : up, n, output);
        if (Options.MlpOutputScale != 1f) TensorPrimitives.Multiply(output[..(n * Options.HiddenSize)], Options.MlpOutputScale, output[..(n * Options.HiddenSize)]);
    }

    private void Multiply(Linear w, ReadOnlySpan<float> x, int n, Span<float> y)
    {
        Observe(w, x, n);
        w.Forward(x, n, y);
    }

    private void Observe(Linear w, ReadOnlySpan<float> x, int n) => MatMulObserver?.Observe(w.Weight.Name, x[..(n * w.InFeatures)], n);

    /// <summary>
    /// The rotary table of schedule <paramref name="rope"/> (<see cref="DecoderOptions.Rope"/> or <see cref="DecoderOptions.SlidingRope"/>;
    /// null gives null) for a sequence whose context is <paramref name="context"/> positions: one per schedule and
    /// <see cref="RopeConfig.ForContext"/>, grown (rarely) to the largest context seen; a position's cos/sin do not depend on the table's size.
    /// </summary>
    internal RopeTable? RopeFor(RopeConfig? rope, int context)
    {
        if (rope == null) return null;
        // Every table of a schedule derives from it and differs only in SequenceLength: compared without allocating a config.
        var length = rope.SequenceLengthFor(context);
        foreach (var (source, table) in Volatile.Read(ref _ropes))
            if (ReferenceEquals(source, rope) && table.Config.SequenceLength == length && table.MaxPositions >= context) return table;
        return GrowRope(rope, length, context);
    }

    // Apart from RopeFor so that its lambdas' closure is not allocated on every step.
    private RopeTable GrowRope(RopeConfig rope, int length, int context)
    {
        lock (_ropeGate)
        {
            bool Same((RopeConfig Source, RopeTable Table) e) => ReferenceEquals(e.Source, rope) && e.Table.Config.SequenceLength == length;
            var existing = Array.Find(_ropes, Same);
            if (existing.Table != null && existing.Table.MaxPositions >= context) return existing.Table;
            var grown = new RopeTable(rope.ForContext(context), context);
            // Dynamic NTK has a schedule per context beyond the original one: keep the last few of each schedule.
            var others = _ropes.Where(e => !ReferenceEquals(e.Source, rope));
            var mine = _ropes.Where(e => ReferenceEquals(e.Source, rope) && !Same(e)).TakeLast(MaxRopeTables - 1);
            Volatile.Write(ref _ropes, [.. others, .. mine, (rope, grown)]);
            return grown;
        }
    }

    private const int MaxRopeTables = 4;

    /// <inheritdoc />
    public void Dispose() => _owner?.Dispose();
}
