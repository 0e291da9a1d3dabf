using Moxing.Core.Ops;

namespace Moxing.Models.Decoder;

/// <summary>Which normalisation a decoder uses.</summary>
public enum NormKind
{
    /// <summary>RMSNorm (Llama family).</summary>
    Rms,
    /// <summary>LayerNorm with bias (GPT-2, BERT).</summary>
    Layer,
}

/// <summary>
/// The switches that turn one decoder computation into Llama, Qwen2/3, Mistral, Phi-2/3, Gemma 1/2/3, Granite, OLMo 2,
/// StarCoder2, Falcon, EXAONE, SmolLM3, InternLM2, Cohere, StableLM, GLM-4, Nemotron, OLMo, MiniCPM, Hunyuan, Arcee, Apertus, GPT-2, the mixtures of experts, Llama 4, gpt-oss,
/// DeepSeek-V2/V3 (multi-head latent attention), LFM2 (short convolutions beside attention), Granite 4.0 hybrid (Mamba2 beside
/// attention), plain Mamba2, LFM2-MoE, Nemotron-H (blocks of one mixer or one feed-forward each), Falcon-H1 (Mamba2 beside attention
/// in every layer), Mamba 1 / Falcon-Mamba and Jamba (Mamba 1's selective scan, alone or with attention layers) or Qwen3-Next /
/// Qwen3.5 (Gated DeltaNet beside gated attention).
/// A family file reads its config into this record; the decoder never asks which family it runs.
/// </summary>
public sealed partial record DecoderOptions
{
    /// <summary>Architecture name as the user knows it (e.g. "llama", "qwen2").</summary>
    public required string Architecture { get; init; }
    /// <summary>Vocabulary size (rows of the embedding).</summary>
    public required int VocabSize { get; init; }
    /// <summary>Width of the residual stream.</summary>
    public required int HiddenSize { get; init; }
    /// <summary>Number of transformer blocks.</summary>
    public required int LayerCount { get; init; }
    /// <summary>Query heads.</summary>
    public required int HeadCount { get; init; }
    /// <summary>Key/value heads (GQA when fewer than query heads).</summary>
    public required int KvHeadCount { get; init; }
    /// <summary>Dimensions per query and key head (may differ from hidden/heads, e.g. Qwen3, Gemma 2).</summary>
    public required int HeadDim { get; init; }
    /// <summary>Dimensions per value head when they differ from <see cref="HeadDim"/> (DeepSeek's MLA: keys 192, values 128); null: the same.</summary>
    public int? ValueHeadDim { get; init; }
    /// <summary>Multi-head latent attention (DeepSeek-V2/V3): how queries, keys and values come from their low-rank projections; null: q/k/v projections.</summary>
    public MlaOptions? Mla { get; init; }
    /// <summary>Width of the MLP's hidden layer.</summary>
    public required int IntermediateSize { get; init; }
    /// <summary>Longest context the model was trained for.</summary>
    public required int MaxContext { get; init; }
    /// <summary>Epsilon of the norms.</summary>
    public float NormEps { get; init; } = 1e-5f;
    /// <summary>RMSNorm or LayerNorm.</summary>
    public NormKind Norm { get; init; } = NormKind.Rms;
    /// <summary>Added to the norm weights before scaling (Gemma's RMSNorm and Nemotron's LayerNorm1P store w and apply 1 + w).</summary>
    public float NormWeightOffset { get; init; }
    /// <summary>Norms without weights or biases (OLMo's non-parametric LayerNorm): the checkpoint has no norm tensors.</summary>
    public bool NormsWithoutWeights { get; init; }
    /// <summary>MLP activation.</summary>
    public Activation Activation { get; init; } = Activation.Silu;
    /// <summary>Per layer, an xIELU activation of the ungated MLP in place of <see cref="Activation"/> (Apertus); empty: none.</summary>
    public XieluParameters[] XieluLayers { get; init; } = [];
    /// <summary>Gated MLP act(gate)·up (SwiGLU/GeGLU) rather than act(up).</summary>
    public bool GatedMlp { get; init; } = true;
    /// <summary>Rotary embeddings; null when positions are learned (GPT-2).</summary>
    public RopeConfig? Rope { get; init; }
    /// <summary>Layers that rotate nothing (true at their index: Cohere2's and EXAONE 4's full-attention layers, SmolLM3's NoPE layers); shorter than the
    /// layer count: the rest rotate.</summary>
    public bool[] NoRopeLayers { get; init; } = [];
    /// <summary>Rotary embeddings of the layers with a sliding window when they differ from <see cref="Rope"/> (Gemma 3's local base); null: the same.</summary>
    public RopeConfig? SlidingRope { get; init; }
    /// <summary>Queries, keys and values clamped to ±this after their projections (OLMo's clip_qkv), 0 for none.</summary>
    public float QkvClip { get; init; }
    /// <summary>Per-head RMSNorm of queries and keys before RoPE (Qwen3, Gemma 3).</summary>
    public bool QkNorm { get; init; }
    /// <summary>With <see cref="QkNorm"/>: the norms applied after the rotation rather than before (Hunyuan's query_layernorm / key_layernorm).</summary>
    public bool QkNormAfterRope { get; init; }
    /// <summary>With <see cref="QkNorm"/>: one RMSNorm over the whole query and key projections instead of per head (OLMoE).</summary>
    public bool QkNormAcrossHeads { get; init; }
    /// <summary>With <see cref="QkNorm"/>: each head normalised by a weight row of its own ([heads, head_dim]: Cohere's use_qk_norm, StableLM 2's qk_layernorm).</summary>
    public bool QkNormPerHeadWeights { get; init; }
    /// <summary>Per-head RMS norm of queries and keys without weights (epsilon <see cref="NormEps"/>) on the layers that rotate (Llama 4's use_qk_norm, its L2 norm).</summary>
    public bool QkUnweightedNorm { get; init; }
    /// <summary>
    /// Queries of the layers that do not rotate multiplied by log(floor((position + 1) / this) + 1) · <see cref="TemperatureScale"/> + 1
    /// (Llama 4's attn_temperature_tuning with floor_scale); 0 for none.
    /// </summary>
    public int TemperatureFloor { get; init; }
    /// <summary>The scale of <see cref="TemperatureFloor"/>'s tuning (Llama 4's attn_scale).</summary>
    public float TemperatureScale { get; init; }
    /// <summary>Sparse mixture-of-experts feed-forward layers; null when every layer has one dense MLP.</summary>
    public MoeOptions? Moe { get; init; }
    /// <summary>A learned logit per query head in every attention softmax's denominator (gpt-oss's sinks, `attn_sinks`).</summary>
    public bool AttentionSinks { get; init; }
    /// <summary>Sliding attention window per layer (0: full attention).</summary>
    public int[] SlidingWindows { get; init; } = [];
    /// <summary>Chunked attention per layer (Llama 4's attention_chunk_size): a token attends only to positions of its own chunk of this many, [c·n, c·n + n) (0: none).</summary>
    public int[] AttentionChunks { get; init; } = [];
    /// <summary>Multiplier of q·k (default 1/sqrt(head_dim); Gemma 2 uses query_pre_attn_scalar^-0.5).</summary>
    public float? AttentionScale { get; init; }
    /// <summary>tanh soft-capping of attention scores (Gemma 2), 0 for none.</summary>
    public float AttentionSoftCap { get; init; }
    /// <summary>tanh soft-capping of the final logits (Gemma 2), 0 for none.</summary>
    public float FinalLogitSoftCap { get; init; }
    /// <summary>Multiplier of the token embeddings (Gemma: sqrt(hidden)), 1 for none.</summary>
    public float EmbeddingScale { get; init; } = 1f;
    /// <summary>Norms after the attention and MLP outputs, before the residual add (Gemma 2, OLMo 2).</summary>
    public bool PostNorms { get; init; }
    /// <summary>Norms of the residual stream before attention and MLP; false: the blocks read the stream itself (OLMo 2).</summary>
    public bool PreNorms { get; init; } = true;
    /// <summary>
    /// Attention and MLP both read the stream before either adds to it, and add together: through one norm (Phi-2, Falcon-7B) or,
    /// when the checkpoint has both, the attention norm and the MLP norm (Falcon-40B).
    /// </summary>
    public bool ParallelBlock { get; init; }
    /// <summary>Multiplier of each attention and MLP output before the residual add (Granite's residual_multiplier), 1 for none.</summary>
    public float ResidualScale { get; init; } = 1f;
    /// <summary>Divisor of the final logits (Granite's logits_scaling), 1 for none.</summary>
    public float LogitDivisor { get; init; } = 1f;
    /// <summary>Learned absolute position embeddings (GPT-2).</summary>
    public bool LearnedPositions { get; init; }
    /// <summary>Gated short-convolution layers in place of attention on some layers (LFM2); null: none.</summary>
    public ShortConvOptions? ShortConv { get; init; }

    /// <summary>Mamba2 mixers in place of attention on some or all layers (Granite 4.0 hybrid, plain Mamba2), or Mamba 1's (Mamba, Jamba); null: none.</summary>
    public MambaOptions? Mamba { get; init; }

    /// <summary>
    /// Blocks of one part each (Nemotron-H): per layer, true where the block is a feed-forward alone (its one norm, then an MLP or
    /// experts), false where it is a mixer alone (attention or Mamba2, no feed-forward after it); empty: every block has a mixer,
    /// then a feed-forward.
    /// </summary>
    public bool[] FeedForwardBlocks { get; init; } = [];

    /// <summary>Whether layer <paramref name="layer"/> is a feed-forward alone, without a mixer (<see cref="FeedForwardBlocks"/>).</summary>
    public bool IsFeedForwardBlock(int layer) => layer < FeedForwardBlocks.Length && FeedForwardBlocks[layer];

    /// <summary>Whether layer <paramref name="layer"/> has a feed-forward (<see cref="HasFeedForward"/>, and not a mixer alone).</summary>
    public bool HasFeedForwardAt(int layer) => HasFeedForward && (FeedForwardBlocks.Length == 0 || IsFeedForwardBlock(layer));

    /// <summary>Whether layer <paramref name="layer"/> attends (and so stores keys and values) rather than running only a recurrent mixer or no mixer.</summary>
    public bool Attends(int layer) =>
        ShortConv?.IsConv(layer) != true && (Mamba?.IsMamba(layer) != true || Mamba.BesideAttention) && DeltaNet?.IsDeltaNet(layer) != true
        && !IsFeedForwardBlock(layer);

    /// <summary>Multiplier of the attention output (Falcon-H1's attention_in_multiplier × attention_out_multiplier, its values read scaled), 1 for none.</summary>
    public float AttentionOutputScale { get; init; } = 1f;

    /// <summary>Multiplier of the MLP's gate projection before its activation (Falcon-H1's mlp_multipliers[0]), 1 for none.</summary>
    public float MlpGateScale { get; init; } = 1f;

    /// <summary>Multiplier of the MLP's output (Falcon-H1's mlp_multipliers[1]), 1 for none.</summary>
    public float MlpOutputScale { get; init; } = 1f;

    /// <summary>Gated DeltaNet linear attention in place of attention on some layers (Qwen3-Next, Qwen3.5); null: none.</summary>
    public DeltaNetOptions? DeltaNet { get; init; }

    /// <summary>
    /// The query projection gives each head its queries and as many gate logits after them; the attention output is multiplied by
    /// their sigmoid before o_proj (Qwen3-Next's and Qwen3.5's gated attention).
    /// </summary>
    public bool AttentionOutputGate { get; init; }

    /// <summary>Floats of recurrent state layer <paramref name="layer"/> keeps per sequence (0 for an attention layer).</summary>
    public int StateFloatsOf(int layer) =>
        ShortConv is { } conv && conv.IsConv(layer) ? conv.StateFloats(HiddenSize) : Mamba is { } mamba && mamba.IsMamba(layer) ? mamba.StateFloats
        : DeltaNet is { } delta && delta.IsDeltaNet(layer) ? delta.StateFloats : 0;

    /// <summary>Layers that store keys and values (attending, not reading another layer's): the KV pool's layers, in model order.</summary>
    public int KvLayerCount
    {
        // Counted without allocating: a step asks for every slice.
        get
        {
            var count = 0;
            for (var l = 0; l < LayerCount; l++)
                if (StoresKv(l)) count++;
            return count;
        }
    }

    /// <summary>Floats of recurrent state one sequence keeps over every layer, in layer order; 0 for a model that only attends.</summary>
    public int RecurrentStateFloats
    {
        get
        {
            var floats = 0;
            for (var l = 0; l < LayerCount; l++) floats += StateFloatsOf(l);
            return floats;
        }
    }

    /// <summary>The window of layer <paramref name="layer"/> (0 when it attends to everything).</summary>
    public int WindowOf(int layer) => layer < SlidingWindows.Length ? SlidingWindows[layer] : 0;

    /// <summary>The attention chunk of layer <paramref name="layer"/> (0 when it has none).</summary>
    public int ChunkOf(int layer) => layer < AttentionChunks.Length ? AttentionChunks[layer] : 0;

    /// <summary>Whether layer <paramref name="layer"/> applies rotary embeddings at all (<see cref="Rope"/> set and the layer not in <see cref="NoRopeLayers"/>).</summary>
    public bool Rotates(int layer) => Rope != null && !(layer < NoRopeLayers.Length && NoRopeLayers[layer]);

    /// <summary>Whether layer <paramref name="layer"/> rotates by <see cref="SlidingRope"/> (it has a window and the option is set) rather than <see cref="Rope"/>.</summary>
    public bool UsesSlidingRope(int layer) => SlidingRope != null && WindowOf(layer) > 0;

    /// <summary>Whether blocks have a feed-forward after their mixer: all but plain Mamba2's (feed_forward_length 0, no experts).</summary>
    public bool HasFeedForward => IntermediateSize > 0 || Moe != null;

    /// <summary>The widest feed-forward hidden layer of any kind (dense, expert or shared expert): what activation buffers hold.</summary>
    public int WidestFeedForward => Math.Max(Math.Max(IntermediateSize, FeedForwardLengths.DefaultIfEmpty().Max()), Moe?.WidestFeedForward ?? 0);

    /// <summary>Dimensions per value head (<see cref="ValueHeadDim"/> or <see cref="HeadDim"/>).</summary>
    public int ValueDim => ValueHeadDim ?? HeadDim;

    /// <summary>The effective q·k multiplier.</summary>
    public float EffectiveAttentionScale => AttentionScale ?? 1f / MathF.Sqrt(HeadDim);
}
