using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Layers;

namespace Moxing.Models.Families;

/// <summary>
/// Llama 4 text models (HF `llama4`'s text_config — the vision model and projector left out — and `llama4_text`; GGUF `llama4`;
/// Scout, Maverick). Experts in every `interleave_moe_layer_step`-th layer (or those `moe_layers` lists), a dense MLP of
/// intermediate_size_mlp elsewhere; each sparse layer routes a token to its top-k logits, whose sigmoid multiplies the expert's
/// input, and adds an ungated shared expert. RoPE on interleaved pairs (transformers' complex product; the converter leaves Q/K
/// unpermuted) except on NoPE layers (`no_rope_layers` 0, by default every 4th); rotating layers attend within chunks of
/// attention_chunk_size and L2-normalise q and k (use_qk_norm), NoPE layers tune the query temperature by position.
/// </summary>
public sealed class Llama4Family : IDecoderFamily
{
    /// <summary>llama.cpp's fixed chunk, temperature floor and scale for llama4 (no GGUF key holds them).</summary>
    public const int LlamaCppChunk = 8192, LlamaCppTemperatureFloor = 8192;

    /// <summary>llama.cpp's fixed attention-temperature scale (f_attn_temp_scale).</summary>
    public const float LlamaCppTemperatureScale = 0.1f;

    /// <summary>llama.cpp's NoPE step and chunked-layer period: every 4th layer is NoPE with full attention, the others chunked.</summary>
    public const int LlamaCppNoRopeStep = 4;

    // Llama4TextConfig's defaults: the multimodal config's text_config leaves some of these out.
    private const string TextDefaults = """
        {"vocab_size": 202048, "hidden_size": 5120, "intermediate_size": 8192, "intermediate_size_mlp": 16384, "num_hidden_layers": 48,
         "num_attention_heads": 40, "num_key_value_heads": 8, "head_dim": 128, "max_position_embeddings": 131072, "rms_norm_eps": 1e-5,
         "rope_theta": 500000.0, "num_experts_per_tok": 1, "num_local_experts": 16, "interleave_moe_layer_step": 1, "use_qk_norm": true,
         "no_rope_layer_interval": 4, "attention_chunk_size": 8192, "attn_temperature_tuning": true, "floor_scale": 8192, "attn_scale": 0.1}
        """;

    private const string Layer = "model.layers.{i}.feed_forward.";

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["llama4", "llama4_text"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["llama4"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = DecoderTensorNames.HuggingFace with
    {
        Gate = Layer + "gate_proj.weight",
        Up = Layer + "up_proj.weight",
        GateUp = null,
        Down = Layer + "down_proj.weight",
        Router = Layer + "router.weight",
        // stacks computed from the checkpoint's transposed gate_up_proj and down_proj (DerivedHfTensors)
        ExpertGate = Layer + "experts.gate_proj.weight",
        ExpertUp = Layer + "experts.up_proj.weight",
        ExpertDown = Layer + "experts.down_proj.weight",
        SharedGate = Layer + "shared_expert.gate_proj.weight",
        SharedUp = Layer + "shared_expert.up_proj.weight",
        SharedDown = Layer + "shared_expert.down_proj.weight",
        SharedExpertGate = null,
        // Llama4ForConditionalGeneration nests the text model as language_model.model.* (transformers 5: model.language_model.*).
        NestedPrefixes = [("model.language_model.", "model."), ("language_model.model.", "model."), ("language_model.lm_head.", "lm_head.")],
        IgnoredPrefixes = ["vision_model.", "multi_modal_projector.", "model.vision_model.", "model.multi_modal_projector."],
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = DecoderTensorNames.Gguf with { SharedExpertGate = null };

    /// <summary>The text model's config: config.json itself (llama4_text) or its text_config (llama4), with Llama4TextConfig's defaults.</summary>
    public static HfConfig TextConfig(HfConfig c) =>
        (c.GetString("model_type") == "llama4" ? c.GetSection("text_config") : c).WithDefaults(TextDefaults);

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = TextConfig(config);
        var o = c.Common("llama4");
        var layers = o.LayerCount;
        var rotating = RopeLayers(c, layers);
        var chunk = c.GetInt("attention_chunk_size", 0);
        if (chunk < 0) throw c.Error("attention_chunk_size", $"is {chunk}; it must be positive (or null for none)");
        var types = c.GetStringList("layer_types");
        if (types.Length != 0 && types.Length != layers) throw c.Error("layer_types", $"has {types.Length} entries for {layers} layers");
        if (types.FirstOrDefault(t => t is not ("chunked_attention" or "full_attention")) is { } unknown)
            throw c.Error("layer_types", $"names '{unknown}'; Llama 4 layers are chunked_attention or full_attention");
        var tuning = c.GetFlag("attn_temperature_tuning");
        var floor = tuning ? c.GetInt("floor_scale") : 0;
        if (tuning && floor <= 0) throw c.Error("floor_scale", $"is {floor}; it must be positive");
        return o with
        {
            IntermediateSize = c.GetInt("intermediate_size_mlp"),
            Activation = HfActivation.Read(c, "hidden_act", "silu"),
            Rope = o.Rope! with { Style = RopeStyle.Interleaved },
            NoRopeLayers = [.. rotating.Select(r => !r)],
            // Llama4TextConfig: layer_types chunked where the layer rotates, unless given.
            AttentionChunks = [.. Enumerable.Range(0, layers).Select(i => (types.Length > 0 ? types[i] == "chunked_attention" : rotating[i]) ? chunk : 0)],
            QkUnweightedNorm = c.GetBool("use_qk_norm"),
            TemperatureFloor = floor,
            TemperatureScale = tuning ? c.GetFloat("attn_scale") : 0,
            Moe = Experts(c.GetInt("num_local_experts"), c.GetInt("num_experts_per_tok"), c.GetInt("intermediate_size"), SparseLayers(c, layers)),
        };
    }

    // no_rope_layers (1: rotate, 0: not) when given, else Llama4TextConfig's int((i + 1) % no_rope_layer_interval != 0).
    private static bool[] RopeLayers(HfConfig c, int layers)
    {
        var flags = c.GetIntList("no_rope_layers");
        if (flags.Length != 0 && flags.Length != layers) throw c.Error("no_rope_layers", $"has {flags.Length} entries for {layers} layers");
        if (flags.Length > 0) return [.. flags.Select(f => f != 0)];
        var interval = c.GetInt("no_rope_layer_interval");
        if (interval <= 0) throw c.Error("no_rope_layer_interval", $"is {interval}; it must be positive");
        return [.. Enumerable.Range(0, layers).Select(i => (i + 1) % interval != 0)];
    }

    // moe_layers when given, else Llama4TextConfig's range(step − 1, layers, step).
    private static bool[] SparseLayers(HfConfig c, int layers)
    {
        var listed = c.GetIntList("moe_layers");
        if (c.Has("moe_layers"))
        {
            if (listed.FirstOrDefault(l => l < 0 || l >= layers, -1) is var bad and not -1)
                throw c.Error("moe_layers", $"lists layer {bad}; there are {layers}");
            return [.. Enumerable.Range(0, layers).Select(listed.Contains)];
        }
        var step = c.GetInt("interleave_moe_layer_step");
        if (step < 1) throw c.Error("interleave_moe_layer_step", $"is {step}; it must be at least 1");
        return [.. Enumerable.Range(0, layers).Select(i => (i + 1) % step == 0)];
    }

    private static MoeOptions? Experts(int experts, int used, int feedForward, bool[] sparse) => !sparse.Any(s => s) ? null : new MoeOptions
    {
        ExpertCount = experts,
        ExpertsUsed = used,
        ExpertFeedForward = feedForward,
        SharedFeedForward = feedForward,
        SigmoidOfChosenLogits = true,
        WeightsExpertInput = true,
        DenseLayers = sparse.All(s => s) ? [] : [.. sparse.Select(s => !s)],
    };

    /// <inheritdoc />
    public IReadOnlyList<DerivedTensor> DerivedHfTensors(ITensorSource tensors, DecoderOptions options, string path)
    {
        if (options.Moe is not { } moe) return [];
        var find = new PrefixedTensors(tensors, "model.");
        var result = new List<DerivedTensor>();
        int ff = moe.ExpertFeedForward, hidden = options.HiddenSize;
        for (var layer = 0; layer < options.LayerCount; layer++)
        {
            if (!moe.IsSparse(layer)) continue;
            var prefix = DecoderTensorNames.ForLayer(Layer, layer) + "experts.";
            // Llama4TextExperts: gate_up_proj [E, hidden, 2·ff] (gate columns first), down_proj [E, ff, hidden], both for x·W.
            var gateUp = Stack(find, path, prefix + "gate_up_proj", moe.ExpertCount, hidden, 2 * ff);
            var down = Stack(find, path, prefix + "down_proj", moe.ExpertCount, ff, hidden);
            result.Add(TransposedExperts.Rows(prefix + "gate_proj.weight", gateUp, ff, 0, 1));
            result.Add(TransposedExperts.Rows(prefix + "up_proj.weight", gateUp, ff, ff, 1));
            result.Add(TransposedExperts.Rows(prefix + "down_proj.weight", down, hidden, 0, 1));
        }
        return result;
    }

    private static StoredTensor Stack(PrefixedTensors find, string path, string name, int experts, int rows, int cols)
    {
        var t = find.Find(name) ?? throw new InvalidModelFileException(path, $"tensor '{name}' is missing");
        if (t.Type is not (DType.F32 or DType.F16 or DType.BF16) || !t.Shape.SequenceEqual(new long[] { experts, rows, cols }))
            throw new InvalidModelFileException(path, $"tensor '{t.Name}' is {t.Type} [{string.Join(", ", t.Shape)}], expected F32, F16 or BF16 [{experts}, {rows}, {cols}] from the model's configuration");
        return t;
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        // Llama4Model's converter leaves Q/K unpermuted: llama.cpp's normal (interleaved) rotation is transformers' complex product.
        var o = p.Common(RopeStyle.Interleaved);
        if (p.Int("attention.sliding_window", LlamaCppChunk) == 0)
            throw new InvalidModelFileException(file.FilePath, "key 'llama4.attention.sliding_window' is 0 (every layer full attention, MobileLLM's layout); not supported");
        var step = p.Int("interleave_moe_layer_step");
        if (step < 1) throw new InvalidModelFileException(file.FilePath, $"key 'llama4.interleave_moe_layer_step' is {step}; it must be at least 1");
        var experts = p.Int("expert_count");
        var chunked = p.SlidingLayers(o.LayerCount, LlamaCppNoRopeStep);
        // llama.cpp's llama4: NoPE where (il + 1) % 4 == 0, chunks of 8192 on the pattern's layers, temperature floor 8192 and scale
        // 0.1, q/k norms unless the model has 128 experts (Maverick), experts where (il + 1) % step == 0 with a shared one as wide.
        return o with
        {
            NoRopeLayers = [.. Enumerable.Range(0, o.LayerCount).Select(i => (i + 1) % LlamaCppNoRopeStep == 0)],
            AttentionChunks = [.. chunked.Select(c => c ? LlamaCppChunk : 0)],
            QkUnweightedNorm = experts != 128,
            TemperatureFloor = LlamaCppTemperatureFloor,
            TemperatureScale = LlamaCppTemperatureScale,
            Moe = Experts(experts, p.Int("expert_used_count"), p.Int("expert_feed_forward_length"),
                [.. Enumerable.Range(0, o.LayerCount).Select(i => (i + 1) % step == 0)]),
        };
    }
}
