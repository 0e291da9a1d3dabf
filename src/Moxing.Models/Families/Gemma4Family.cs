using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// Gemma 4 text: Gemma 3's layout with plain-w RMSNorms, q/k norms and unweighted v norms in place of query scaling (scale 1),
/// full layers with heads of their own size (global_head_dim) rotated by proportional RoPE, keys reused as values where
/// attention_k_eq_v says, the last num_kv_shared_layers layers attending to the keys and values of the last earlier layer of
/// their type, per-layer inputs (E2B/E4B), double-wide MLPs on the sharing layers, a scalar on each layer's output. With
/// enable_moe_block (26B-A4B) every layer runs routed GeGLU experts beside its MLP (<see cref="Experts"/>).
/// Gemma4ForConditionalGeneration checkpoints ("gemma4") run their text model; vision and audio towers are left out.
/// </summary>
public sealed class Gemma4Family : IDecoderFamily
{
    // Gemma4TextConfig's defaults: the multimodal configs' text_config may leave these out.
    private const string TextDefaults = """
        {"vocab_size": 262144, "hidden_size": 2304, "intermediate_size": 9216, "num_hidden_layers": 30,
         "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256, "global_head_dim": 512, "max_position_embeddings": 131072,
         "rms_norm_eps": 1e-6, "sliding_window": 512, "hidden_size_per_layer_input": 256, "num_kv_shared_layers": 0,
         "hidden_activation": "gelu_pytorch_tanh"}
        """;

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["gemma4_text", "gemma4"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["gemma4"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = Gemma2Family.Names with
    {
        PerLayerTokenTable = "model.embed_tokens_per_layer.weight",
        PerLayerModelProjection = "model.per_layer_model_projection.weight",
        PerLayerProjectionNorm = "model.per_layer_projection_norm.weight",
        PerLayerGate = "model.layers.{i}.per_layer_input_gate.weight",
        PerLayerProjection = "model.layers.{i}.per_layer_projection.weight",
        PerLayerPostNorm = "model.layers.{i}.post_per_layer_input_norm.weight",
        LayerOutputScale = "model.layers.{i}.layer_scalar",
        // Gemma4TextDecoderLayer with enable_moe_block: the MLP as the shared expert, Gemma4TextRouter, Gemma4TextExperts' stacks.
        SharedGate = "model.layers.{i}.mlp.gate_proj.weight",
        SharedUp = "model.layers.{i}.mlp.up_proj.weight",
        SharedDown = "model.layers.{i}.mlp.down_proj.weight",
        SharedExpertGate = null,
        Router = "model.layers.{i}.router.proj.weight",
        RouterScale = "model.layers.{i}.router.scale",
        ExpertScale = "model.layers.{i}.router.per_expert_scale",
        ExpertGate = null,
        ExpertUp = null,
        ExpertGateUp = "model.layers.{i}.experts.gate_up_proj",
        ExpertDown = "model.layers.{i}.experts.down_proj",
        ExpertNorm = "model.layers.{i}.pre_feedforward_layernorm_2.weight",
        ExpertPostNorm = "model.layers.{i}.post_feedforward_layernorm_2.weight",
        SharedPostNorm = "model.layers.{i}.post_feedforward_layernorm_1.weight",
        NestedPrefixes = Gemma3Family.LanguageModelPrefixes,
        IgnoredPrefixes = [.. Gemma3Family.VisionPrefixes, "audio_tower.", "embed_vision.", "embed_audio.", "model.audio_tower.", "model.embed_vision.", "model.embed_audio."],
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = DecoderTensorNames.Gguf with
    {
        // llama.cpp's gemma4: a sparse layer's MLP keeps the dense names and runs as the shared expert.
        SharedGate = "blk.{i}.ffn_gate.weight",
        SharedUp = "blk.{i}.ffn_up.weight",
        SharedDown = "blk.{i}.ffn_down.weight",
        SharedExpertGate = null,
    };

    /// <summary>The text model's config: config.json itself (gemma4_text) or its text_config (gemma4), with Gemma4TextConfig's defaults.</summary>
    public static HfConfig TextConfig(HfConfig c) =>
        (c.GetString("model_type") == "gemma4" ? c.GetSection("text_config") : c).WithDefaults(TextDefaults);

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = TextConfig(config);
        if (c.TryGetString("use_bidirectional_attention", out var bidirectional))
            throw c.Error("use_bidirectional_attention", $"is '{bidirectional}'; only causal Gemma 4 text models are supported");
        var o = c.Common("gemma4", rope: false);
        var layers = o.LayerCount;
        var full = LayerTypes(c, layers);
        var window = c.GetInt("sliding_window");
        var fullHeadDim = c.GetInt("global_head_dim");
        var keysAsValues = c.GetBool("attention_k_eq_v", false);
        // Gemma4TextAttention: the full layers of an attention_k_eq_v model have num_global_key_value_heads key/value heads.
        var fullKvHeads = keysAsValues && c.TryGetInt("num_global_key_value_heads", out var g) ? g : 0;
        if (fullKvHeads > 0 && o.HeadCount % fullKvHeads != 0)
            throw c.Error("num_global_key_value_heads", $"is {fullKvHeads}; num_attention_heads ({o.HeadCount}) must be a multiple of it");
        var shared = c.GetInt("num_kv_shared_layers");
        if (shared < 0 || shared >= layers) throw c.Error("num_kv_shared_layers", $"is {shared}; it must be below num_hidden_layers ({layers})");
        var doubleWide = c.GetBool("use_double_wide_mlp", false) && shared > 0;
        var moe = c.GetBool("enable_moe_block", false)
            ? Experts(c.GetInt("num_experts"), c.GetInt("top_k_experts"), c.GetInt("moe_intermediate_size"), o.IntermediateSize)
            : null;
        if (moe != null && doubleWide) throw c.Error("use_double_wide_mlp", "widens the MLPs of the sharing layers of a model with experts, whose MLPs are one width; not supported");
        return Gemma2Family.Gemma(o) with
        {
            Activation = HfActivation.Read(c, "hidden_activation", "gelu_pytorch_tanh"),
            FullHeadDim = fullHeadDim == o.HeadDim ? 0 : fullHeadDim,
            FullKvHeadCount = fullKvHeads,
            KeysAsValues = keysAsValues,
            ValueNorm = true,
            QkNorm = true,
            AttentionScale = 1f,
            SlidingWindows = [.. full.Select(f => f ? 0 : window)],
            Rope = FullRope(c, fullHeadDim, o.MaxContext),
            SlidingRope = SlidingRope(c, o.HeadDim),
            KvSources = SharedKvSources(full, shared),
            FeedForwardLengths = doubleWide ? [.. Enumerable.Range(0, layers).Select(i => i >= layers - shared ? 2 * o.IntermediateSize : o.IntermediateSize)] : [],
            PerLayerInputSize = c.GetInt("hidden_size_per_layer_input"),
            LayerOutputScales = true,
            FinalLogitSoftCap = c.GetFloat("final_logit_softcapping", 0),
            Moe = moe,
        };
    }

    /// <summary>
    /// Gemma4TextDecoderLayer's enable_moe_block: the MLP (as a shared expert of <paramref name="mlpWidth"/>, normed after) beside
    /// <paramref name="count"/> GeGLU experts of <paramref name="width"/> on their own norm of the stream (normed after), the top
    /// <paramref name="used"/> of Gemma4TextRouter's softmax renormalised and times per_expert_scale; the router reads the stream
    /// normed without weights, times router.scale and 1/√hidden.
    /// </summary>
    public static MoeOptions Experts(int count, int used, int width, int mlpWidth) => new()
    {
        ExpertCount = count,
        ExpertsUsed = used,
        ExpertFeedForward = width,
        NormalizeTopK = true,
        SharedFeedForward = mlpWidth,
        RouterScaledNorm = true,
        ExpertScales = true,
        BranchNorms = true,
    };

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var layers = p.Int("block_count");
        var sliding = p.SlidingLayers(layers, 0);
        var full = sliding.Select(s => !s).ToArray();
        var heads = p.Int("attention.head_count");
        var kvHeads = p.KvHeadsByLayer(layers, heads);
        var slidingKv = kvHeads.Where((_, i) => sliding[i]).DefaultIfEmpty(kvHeads[0]).First();
        var fullKv = kvHeads.Where((_, i) => full[i]).DefaultIfEmpty(slidingKv).First();
        if (kvHeads.Where((k, i) => k != (sliding[i] ? slidingKv : fullKv)).Any())
            throw new InvalidModelFileException(file.FilePath, "key 'gemma4.attention.head_count_kv' differs between layers of one kind; not supported");
        var o = p.Common(RopeStyle.Half, kvHeads: slidingKv);
        var headDim = p.Int("attention.key_length_swa");
        var shared = p.Int("attention.shared_kv_layers", 0);
        var window = p.Int("attention.sliding_window");
        var firstFull = Array.IndexOf(full, true);
        var widths = FeedForwardByLayer(p, layers, file.FilePath);
        var experts = p.Int("expert_count", 0);
        if (experts > 0 && widths.Distinct().Count() > 1)
            throw new InvalidModelFileException(file.FilePath, "key 'gemma4.feed_forward_length' differs between the layers of a model with experts, whose MLPs are one width; not supported");
        return Gemma2Family.Gemma(o) with
        {
            HeadDim = headDim,
            FullHeadDim = o.HeadDim == headDim ? 0 : o.HeadDim,
            FullKvHeadCount = fullKv == slidingKv ? 0 : fullKv,
            // llama.cpp: a layer without attn_v takes its keys as values.
            KeysAsValues = firstFull >= 0 && file.Find($"blk.{firstFull}.attn_v.weight") == null,
            ValueNorm = true,
            QkNorm = true,
            AttentionScale = 1f,
            SlidingWindows = [.. sliding.Select(s => s ? window : 0)],
            SlidingRope = new RopeConfig(p.Float("rope.freq_base_swa", 10000f), p.Int("rope.dimension_count_swa", headDim), RopeStyle.Half),
            KvSources = SharedKvSources(full, shared),
            FeedForwardLengths = widths,
            PerLayerInputSize = p.Int("embedding_length_per_layer_input", 0),
            LayerOutputScales = file.Find("blk.0.layer_output_scale.weight") != null,
            FinalLogitSoftCap = p.Float("final_logit_softcapping", 0),
            Moe = experts > 0 ? Experts(experts, p.Int("expert_used_count"), p.Int("expert_feed_forward_length"), o.IntermediateSize) : null,
        };
    }

    private static int[] FeedForwardByLayer(GgufHyperParameters p, int layers, string path)
    {
        var widths = p.FeedForwardByLayer();
        if (widths.Length is not 0 && widths.Length != layers)
            throw new InvalidModelFileException(path, $"key 'gemma4.feed_forward_length' has {widths.Length} entries for {layers} layers");
        return widths;
    }

    /// <summary>
    /// Per layer, whether it attends in full: layer_types, else Gemma4TextConfig's five sliding layers to one full; the last
    /// layer is always full (transformers forces it).
    /// </summary>
    public static bool[] LayerTypes(HfConfig c, int layers)
    {
        var types = c.GetStringList("layer_types");
        if (types.Length > 0 && types.Length != layers) throw c.Error("layer_types", $"has {types.Length} entries for {layers} layers");
        var bad = types.FirstOrDefault(t => t is not ("sliding_attention" or "full_attention"));
        if (bad != null) throw c.Error("layer_types", $"has '{bad}'; expected sliding_attention or full_attention");
        var full = Enumerable.Range(0, layers).Select(i => types.Length > 0 ? types[i] == "full_attention" : (i + 1) % 6 == 0).ToArray();
        full[^1] = true;
        return full;
    }

    /// <summary>
    /// Gemma4TextAttention's KV sharing: each of the last <paramref name="shared"/> layers reads the keys and values of the last
    /// earlier layer of its own kind; −1 elsewhere (empty when none share).
    /// </summary>
    public static int[] SharedKvSources(bool[] full, int shared)
    {
        if (shared == 0) return [];
        var first = full.Length - shared;
        var sources = new int[full.Length];
        for (var i = 0; i < full.Length; i++)
        {
            if (i < first)
            {
                sources[i] = -1;
                continue;
            }
            sources[i] = Array.FindLastIndex(full, first - 1, first, f => f == full[i]);
            if (sources[i] < 0)
                throw new MoxingException($"layer {i} shares keys and values with no earlier {(full[i] ? "full" : "sliding")} layer");
        }
        return sources;
    }

    // The full layers' RoPE: "proportional" rotates the first partial_rotary_factor of each head's pairs at base^(−2i/head_dim) and
    // leaves the rest in place, which llama.cpp expresses as frequency factors of 1e30 on the rest (rope_freqs.weight).
    private static RopeConfig FullRope(HfConfig c, int headDim, int maxContext)
    {
        var r = RopeSection(c, "full_attention", "proportional");
        var theta = r.GetDouble("rope_theta", 1_000_000);
        var type = r.GetString("rope_type", "default");
        if (type == "default") return new RopeConfig(theta, headDim, RopeStyle.Half);
        var factor = r.GetDouble("factor", 1);
        var rotated = (int)(r.GetDouble("partial_rotary_factor", 1) * headDim / 2);
        var factors = Enumerable.Range(0, headDim / 2).Select(i => i < rotated ? 1f : 1e30f).ToArray();
        return new RopeConfig(theta, headDim, RopeStyle.Half, factor == 1 ? RopeScaling.Default : RopeScaling.Linear, factor,
            OriginalContext: maxContext, FrequencyFactors: factors);
    }

    // The sliding layers' RoPE: Gemma4TextRotaryEmbedding's default schedule over the whole head.
    private static RopeConfig SlidingRope(HfConfig c, int headDim) =>
        new(RopeSection(c, "sliding_attention", "default").GetDouble("rope_theta", 10_000), headDim, RopeStyle.Half);

    private static HfConfig RopeSection(HfConfig c, string layerType, string defaultType)
    {
        var defaults = layerType == "full_attention"
            ? """{"rope_type": "proportional", "partial_rotary_factor": 0.25, "rope_theta": 1000000.0}"""
            : """{"rope_type": "default", "rope_theta": 10000.0}""";
        var section = c.TryGetSection("rope_parameters", out var all) && all.TryGetSection(layerType, out var s) ? s.WithDefaults(defaults) : HfConfig.Parse(defaults, c.FilePath);
        var type = section.GetString("rope_type", defaultType);
        if (type is not ("default" or "proportional") || type == "proportional" && layerType != "full_attention")
            throw section.Error("rope_type", $"is '{type}'; Gemma 4 rotates its {layerType} layers by {(layerType == "full_attention" ? "default or proportional" : "default")} RoPE");
        return section;
    }
}
