using Moxing.Core;
using Moxing.Core.Quantization;
using Moxing.Core.Tensors;
using Moxing.Models.Layers;

namespace Moxing.Models.Decoder;

/// <summary>Binds a checkpoint's tensors to the decoder's slots, checking every shape against the options.</summary>
public sealed partial class DecoderLoader(ITensorSource source, string sourcePath, DecoderOptions options, DecoderTensorNames names)
{
    private readonly TensorArena _arena = new();
    private readonly PrefixedTensors _tensors = new(source, names.BasePrefix);

    /// <summary>Builds the model; it owns the tensor source and disposes it with itself.</summary>
    public DecoderModel Load()
    {
        try
        {
            var o = options;
            if (o.Moe is { } moe) CheckExperts(moe);
            var embedding = Require(names.Embedding, o.VocabSize, o.HiddenSize);
            var layers = new DecoderLayerWeights[o.LayerCount];
            for (var i = 0; i < o.LayerCount; i++) layers[i] = LoadLayer(i);
            // The LM head is an nn.Linear ([vocab, hidden]) even in GPT-2, whose other projections are Conv1D.
            var output = Find(names.Output) is { } head ? Linear(head, o.VocabSize, o.HiddenSize, transposed: false) : new Linear(embedding, null, _arena);
            var weights = new DecoderWeights
            {
                TokenEmbedding = embedding,
                PositionEmbedding = o.LearnedPositions ? Require(names.PositionEmbedding!, -1, o.HiddenSize) : null,
                EmbeddingNorm = o.EmbeddingNorm ? RequireNorm(names.EmbeddingNorm, 0, o.HiddenSize) : null,
                Layers = layers,
                PerLayerEmbeddings = o.PerLayerInputSize > 0 ? PerLayerEmbeddings() : null,
                AltUpStreams = o.AltUp is { } altUp ? LoadAltUpStreams(altUp) : null,
                FinalNorm = RequireNorm(names.FinalNorm, -1, o.HiddenSize),
                Output = output,
            };
            return new DecoderModel(o, weights, new Owner(source, _arena));
        }
        catch
        {
            _arena.Dispose();
            throw;
        }
    }

    private DecoderLayerWeights LoadLayer(int i)
    {
        var o = options;
        if (o.ShortConv?.IsConv(i) == true) return LoadShortConvLayer(i);
        if (o.IsFeedForwardBlock(i)) return LoadFeedForwardBlock(i);
        var mamba = o.Mamba?.IsMamba(i) == true ? LoadMamba(i) : null;
        var delta = o.DeltaNet?.IsDeltaNet(i) == true ? LoadDeltaNet(i) : null;
        // Falcon-H1's Mamba2 mixers run beside attention; other recurrent layers replace it.
        var attention = !o.Attends(i) ? null : o.Mla != null ? LatentAttention(i) : LoadAttention(i);
        var sparse = o.Moe is { } moe && moe.IsSparse(i) && o.HasFeedForwardAt(i);
        var (attentionNorm, mlpNorm) = o.ParallelBlock ? ParallelNorms(i) : (
            o.PreNorms ? RequireNorm(names.AttentionNorm, i, o.HiddenSize) : null,
            o.PreNorms && o.HasFeedForwardAt(i) ? RequireNorm(names.MlpNorm, i, o.HiddenSize) : null);
        return new DecoderLayerWeights
        {
            AttentionNorm = attentionNorm,
            Attention = attention,
            Mamba = mamba,
            DeltaNet = delta,
            PostAttentionNorm = o.PostNorms ? RequireNorm(names.PostAttentionNorm, i, o.HiddenSize) : null,
            MlpNorm = mlpNorm,
            Mlp = sparse || !o.HasFeedForwardAt(i) ? null : LoadMlp(i),
            Moe = sparse ? LoadMoe(i, o.Moe!) : null,
            PostMlpNorm = o.PostNorms ? RequireNorm(names.PostMlpNorm, i, o.HiddenSize) : null,
            PerLayerInput = o.PerLayerInputSize > 0 ? PerLayerInput(i) : null,
            OutputScale = o.LayerOutputScales ? OutputScale(i) : 1f,
            AltUp = o.AltUp is { } altUp ? LoadAltUp(i, altUp) : null,
            Laurel = o.LaurelRank > 0 ? LoadLaurel(i) : null,
        };
    }

    // q, k and v apart or fused; a layer that shares another's keys and values (Gemma 3n, 4) projects queries alone, and one
    // without v_proj where keys may serve as values (Gemma 4's attention_k_eq_v) takes its keys.
    private AttentionWeights LoadAttention(int i)
    {
        var o = options;
        int hd = o.HeadDimOf(i), kvHeads = o.KvHeadsOf(i), qDim = o.HeadCount * hd, kvDim = kvHeads * hd;
        var stores = o.StoresKv(i);
        // q/k norms apply to the split rows whether q, k and v are stored apart or fused (Ling 2.0's query_key_value).
        var (qNorm, kNorm) = o.QkNorm ? (QkNorm(names.QNorm, i, o.HeadCount), stores ? QkNorm(names.KNorm, i, kvHeads) : null) : (UnweightedQkNorm(i), UnweightedQkNorm(i));
        var vNorm = o.ValueNorm && stores ? new Norm(NormKind.Rms, [.. Enumerable.Repeat(1f, o.ValueDimOf(i))], null, o.NormEps) : null;
        if (Find(names.Qkv, i) is { } qkv)
            return new AttentionWeights { Qkv = Linear(qkv, qDim + 2 * kvDim, o.HiddenSize), O = RequireLinear(names.O, i, o.HiddenSize, qDim), QNorm = qNorm, KNorm = kNorm };
        var keysAsValues = o.KeysAsValues && Find(names.V, i) == null;
        return new AttentionWeights
        {
            // A gated attention's q_proj gives each head its queries, then its gate logits.
            Q = RequireLinear(names.Q, i, o.AttentionOutputGate ? 2 * qDim : qDim, o.HiddenSize),
            K = stores ? RequireLinear(names.K, i, kvDim, o.HiddenSize) : null,
            V = stores && !keysAsValues ? RequireLinear(names.V, i, kvHeads * o.ValueDimOf(i), o.HiddenSize) : null,
            O = RequireLinear(names.O, i, o.HiddenSize, o.HeadCount * o.ValueDimOf(i)),
            QNorm = qNorm,
            KNorm = kNorm,
            VNorm = vNorm,
            Sinks = o.AttentionSinks ? Sinks(i) : null,
        };
    }

    private float OutputScale(int layer)
    {
        if (names.LayerOutputScale == null) throw new InvalidModelFileException(sourcePath, "the architecture has no tensor for layer output scales");
        return Vector(Require(names.LayerOutputScale, 0, 1, layer), 1)[0];
    }

    private PerLayerInputWeights PerLayerInput(int i)
    {
        var (h, width) = (options.HiddenSize, options.PerLayerInputSize);
        return new PerLayerInputWeights
        {
            Gate = RequireLinear(names.PerLayerGate, i, width, h),
            Projection = RequireLinear(names.PerLayerProjection, i, h, width),
            PostNorm = RequireNorm(names.PerLayerPostNorm, i, h),
        };
    }

    private PerLayerEmbeddingWeights PerLayerEmbeddings()
    {
        var o = options;
        var all = o.LayerCount * o.PerLayerInputSize;
        if (names.PerLayerTokenTable == null) throw new InvalidModelFileException(sourcePath, "the architecture has no per-layer input tensors");
        return new PerLayerEmbeddingWeights
        {
            TokenTable = PerLayerTokenTable(all),
            ModelProjection = RequireLinear(names.PerLayerModelProjection, 0, all, o.HiddenSize),
            ProjectionNorm = RequireNorm(names.PerLayerProjectionNorm, 0, o.PerLayerInputSize),
        };
    }

    // Gemma 3n's table may have fewer rows than the vocabulary (vocab_size_per_layer_input): the rest read row 0.
    private StoredTensor PerLayerTokenTable(int all)
    {
        var table = Require(names.PerLayerTokenTable!, -1, all);
        if (table.Shape[0] < 1 || table.Shape[0] > options.VocabSize)
            throw new InvalidModelFileException(sourcePath, $"tensor '{table.Name}' has {table.Shape[0]} rows; expected 1 to the vocabulary's {options.VocabSize}");
        return table;
    }

    // A Nemotron-H block of a feed-forward alone: its norm (under the MLP norm's name), then its MLP or experts.
    private DecoderLayerWeights LoadFeedForwardBlock(int i)
    {
        var sparse = options.Moe is { } moe && moe.IsSparse(i);
        return new DecoderLayerWeights
        {
            MlpNorm = RequireNorm(names.MlpNorm, i, options.HiddenSize),
            Mlp = sparse ? null : LoadMlp(i),
            Moe = sparse ? LoadMoe(i, options.Moe!) : null,
        };
    }

    // A parallel block reads one norm (Phi-2, Falcon-7B: whichever of the two names the checkpoint has) or, when it has both,
    // one for attention and one for the MLP (Falcon-40B's ln_attn/ln_mlp, GGUF attn_norm_2/attn_norm).
    private (Norm Attention, Norm? Mlp) ParallelNorms(int layer)
    {
        var attention = Find(names.AttentionNorm, layer) != null ? RequireNorm(names.AttentionNorm, layer, options.HiddenSize) : null;
        var mlp = Find(names.MlpNorm, layer) != null ? RequireNorm(names.MlpNorm, layer, options.HiddenSize) : null;
        if (attention == null && mlp == null)
            throw new InvalidModelFileException(sourcePath, $"tensor '{DecoderTensorNames.ForLayer(names.AttentionNorm ?? names.MlpNorm ?? "norm", layer)}' is missing");
        return attention != null ? (attention, mlp) : (mlp!, null);
    }

    private float[] Sinks(int layer)
    {
        if (names.Sinks == null) throw new InvalidModelFileException(sourcePath, "the architecture has no tensor for attention sinks");
        return Vector(Require(names.Sinks, 0, options.HeadCount, layer), options.HeadCount);
    }

    private MlpWeights LoadMlp(int i)
    {
        var o = options;
        var ff = o.FeedForwardOf(i);
        return Find(names.GateUp, i) is { } gateUp
            ? new MlpWeights { GateUp = Linear(gateUp, 2 * ff, o.HiddenSize), Down = RequireLinear(names.Down, i, o.HiddenSize, ff) }
            : new MlpWeights
            {
                Gate = o.GatedMlp ? RequireLinear(names.Gate, i, ff, o.HiddenSize) : null,
                Up = RequireLinear(names.Up, i, ff, o.HiddenSize),
                Down = RequireLinear(names.Down, i, o.HiddenSize, ff),
            };
    }

    private StoredTensor? Find(string? pattern, int layer = 0) => pattern == null ? null : _tensors.Find(DecoderTensorNames.ForLayer(pattern, layer));

    private StoredTensor Require(string pattern, long rows, long cols, int layer = 0)
    {
        var name = DecoderTensorNames.ForLayer(pattern, layer);
        var t = _tensors.Find(name) ?? throw new InvalidModelFileException(sourcePath, $"tensor '{name}' is missing");
        CheckShape(t, rows, cols);
        return t;
    }

    private void CheckShape(StoredTensor t, long rows, long cols)
    {
        var expectedRank = rows == 0 ? 1 : 2;
        var ok = t.Shape.Length == expectedRank
                 && (expectedRank == 1 ? t.Shape[0] == cols : (rows < 0 || t.Shape[0] == rows) && t.Shape[1] == cols);
        if (!ok)
        {
            var expected = expectedRank == 1 ? $"[{cols}]" : $"[{(rows < 0 ? "n" : rows)}, {cols}]";
            throw new InvalidModelFileException(sourcePath, $"tensor '{t.Name}' has shape [{string.Join(", ", t.Shape)}], expected {expected} from the model's configuration");
        }
    }

    private Linear RequireLinear(string? pattern, int layer, int rows, int cols)
    {
        if (pattern == null) throw new InvalidModelFileException(sourcePath, "the architecture has no tensor for a required projection");
        var name = DecoderTensorNames.ForLayer(pattern, layer);
        var t = _tensors.Find(name) ?? throw new InvalidModelFileException(sourcePath, $"tensor '{name}' is missing");
        return Linear(t, rows, cols);
    }

    // The bias is the tensor named as the weight's with ".bias" unless given (an expert's row of its stack's bias).
    private Linear Linear(StoredTensor t, int rows, int cols, bool? transposed = null, float[]? bias = null)
    {
        var weight = transposed ?? names.TransposedLinears ? Transpose(t, cols, rows) : t;
        CheckShape(weight, rows, cols);
        bias ??= _tensors.Find(DecoderTensorNames.BiasOf(t.Name)) is { } b ? Vector(b, rows) : null;
        // a transposed copy lives in the arena, not in the file: only the file's own tensors may be repacked (their pages released)
        return new Linear(weight, bias, weight == t ? _arena : null);
    }

    private Norm RequireNorm(string? pattern, int layer, int size)
    {
        if (options.NormsWithoutWeights) return new Norm(options.Norm, [.. Enumerable.Repeat(1f, size)], null, options.NormEps);
        if (pattern == null) throw new InvalidModelFileException(sourcePath, "the architecture has no tensor for a required norm");
        var t = Require(pattern, 0, size, layer);
        var bias = _tensors.Find(DecoderTensorNames.BiasOf(t.Name)) is { } b ? Vector(b, size) : null;
        return new Norm(options.Norm, Vector(t, size), bias, options.NormEps, options.NormWeightOffset);
    }

    // One weight per head dimension, per projection (across heads), or a [heads, head_dim] row per head.
    private Norm QkNorm(string? pattern, int layer, int heads)
    {
        var o = options;
        if (!o.QkNormPerHeadWeights) return RequireNorm(pattern, layer, o.QkNormAcrossHeads ? heads * o.HeadDimOf(layer) : o.HeadDimOf(layer));
        if (pattern == null) throw new InvalidModelFileException(sourcePath, "the architecture has no tensor for a required norm");
        var t = Require(pattern, heads, o.HeadDim, layer);
        return new Norm(o.Norm, Vector(t, heads * o.HeadDim), null, o.NormEps, o.NormWeightOffset, o.HeadDim);
    }

    // Llama 4's L2 norm of each head, on rotating layers only: an RMS norm of unit weights (before the rotation, which keeps a head's norm).
    private Norm? UnweightedQkNorm(int layer) =>
        options.QkUnweightedNorm && options.Rotates(layer) ? new Norm(NormKind.Rms, [.. Enumerable.Repeat(1f, options.HeadDimOf(layer))], null, options.NormEps) : null;

    private float[] Vector(StoredTensor t, int size) => t.ToFloats(size, sourcePath);

    // GPT-2's Conv1D stores [in, out]; the kernels read output rows, so keep one float32 transposed copy.
    private StoredTensor Transpose(StoredTensor t, int inFeatures, int outFeatures)
    {
        if (t.Shape.Length != 2 || t.Shape[0] != inFeatures || t.Shape[1] != outFeatures)
            throw new InvalidModelFileException(sourcePath, $"tensor '{t.Name}' has shape [{string.Join(", ", t.Shape)}], expected [{inFeatures}, {outFeatures}]");
        var source32 = new float[t.ElementCount];
        Dequantizer.Dequantize(t.Type, t.Bytes, source32);
        var result = _arena.AllocateF32(t.Name, outFeatures, inFeatures);
        unsafe
        {
            var dst = new Span<float>(result.Data, outFeatures * inFeatures);
            for (var r = 0; r < inFeatures; r++)
                for (var c = 0; c < outFeatures; c++)
                    dst[c * inFeatures + r] = source32[r * outFeatures + c];
        }
        return result;
    }

    private sealed class Owner(ITensorSource source, TensorArena arena) : IDisposable
    {
        public void Dispose()
        {
            source.Dispose();
            arena.Dispose();
        }
    }
}
