using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// Gemma 3n text: Gemma 3's layout with plain-w RMSNorms, q/k norms and unweighted v norms in place of query scaling (scale 1),
/// four of every five layers sliding, the last num_kv_shared_layers attending to the keys and values of the last earlier layer of
/// their type, per-layer inputs, AltUp's residual streams around every layer, a Laurel block beside attention and a gaussian
/// top-k on the first layers' MLP gates. Gemma3nForConditionalGeneration checkpoints ("gemma3n") run their text model; the
/// vision and audio towers are left out.
/// </summary>
public sealed class Gemma3nFamily : IDecoderFamily
{
    // Gemma3nTextConfig's defaults (the E4B shape): the multimodal configs' text_config may leave these out.
    private const string TextDefaults = """
        {"vocab_size": 262400, "vocab_size_per_layer_input": 262144, "hidden_size": 2048, "hidden_size_per_layer_input": 256,
         "intermediate_size": 16384, "num_hidden_layers": 35, "num_attention_heads": 8, "num_key_value_heads": 2, "head_dim": 256,
         "max_position_embeddings": 32768, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0,
         "sliding_window": 512, "final_logit_softcapping": 30.0, "altup_active_idx": 0, "altup_coef_clip": 120.0,
         "altup_correct_scale": true, "altup_num_inputs": 4, "num_kv_shared_layers": 15, "laurel_rank": 64,
         "hidden_activation": "gelu_pytorch_tanh"}
        """;

    // llama.cpp's gemma3n: the first 10 layers' gates keep their top 5 % (normal_dist.icdf(0.95)) when no key says otherwise.
    private const float DefaultSparsity = 0.95f;
    private const int DefaultSparseLayers = 10;

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["gemma3n_text", "gemma3n"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["gemma3n"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = new Gemma4Family().HfNames with
    {
        LayerOutputScale = null,
        // Gemma 4's sparse layers run the MLP as their shared expert under its names; Gemma 3n has no experts (and converting, the
        // later slot would send the MLP to the shared expert's GGUF names).
        SharedGate = null,
        SharedUp = null,
        SharedDown = null,
        AltUpProjections = "model.altup_projections.{e}.weight",
        AltUpUnembedProjections = "model.altup_unembed_projections.{e}.weight",
        AltUpRouter = "model.layers.{i}.altup.modality_router.weight",
        AltUpRouterNorm = "model.layers.{i}.altup.router_norm.weight",
        AltUpPredictionCoefficients = "model.layers.{i}.altup.prediction_coefs.weight",
        AltUpCorrectionCoefficients = "model.layers.{i}.altup.correction_coefs.weight",
        AltUpCorrectOutputScale = "model.layers.{i}.altup.correct_output_scale",
        LaurelLeft = "model.layers.{i}.laurel.linear_left.weight",
        LaurelRight = "model.layers.{i}.laurel.linear_right.weight",
        LaurelPostNorm = "model.layers.{i}.laurel.post_laurel_norm.weight",
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <summary>The text model's config: config.json itself (gemma3n_text) or its text_config (gemma3n), with Gemma3nTextConfig's defaults.</summary>
    public static HfConfig TextConfig(HfConfig c) =>
        (c.GetString("model_type") == "gemma3n" ? c.GetSection("text_config") : c).WithDefaults(TextDefaults);

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = TextConfig(config);
        var o = c.Common("gemma3n");
        var layers = o.LayerCount;
        // Gemma3nTextConfig: layer_types, else every fifth layer full.
        var windows = c.SlidingWindows(layers, i => (i + 1) % 5 != 0);
        var shared = c.GetInt("num_kv_shared_layers");
        if (shared < 0 || shared >= layers) throw c.Error("num_kv_shared_layers", $"is {shared}; it must be below num_hidden_layers ({layers})");
        var widths = c.GetIntList("intermediate_size");
        if (widths.Length != 1 && widths.Length != layers) throw c.Error("intermediate_size", $"has {widths.Length} entries for {layers} layers");
        var streams = c.GetInt("altup_num_inputs");
        var active = c.GetInt("altup_active_idx");
        if (streams < 2) throw c.Error("altup_num_inputs", $"is {streams}; AltUp needs at least 2 streams");
        if (active < 0 || active >= streams) throw c.Error("altup_active_idx", $"is {active}; it must be below altup_num_inputs ({streams})");
        return Gemma2Family.Gemma(o) with
        {
            Activation = HfActivation.Read(c, "hidden_activation", "gelu_pytorch_tanh"),
            QkNorm = true,
            ValueNorm = true,
            AttentionScale = 1f,
            SlidingWindows = windows,
            SlidingRope = Gemma3Family.SlidingRope(c, o),
            KvSources = Gemma4Family.SharedKvSources([.. windows.Select(w => w == 0)], shared),
            FeedForwardLengths = widths.Length > 1 ? widths : [],
            PerLayerInputSize = c.GetInt("hidden_size_per_layer_input"),
            AltUp = new AltUpOptions
            {
                Streams = streams,
                ActiveStream = active,
                CorrectOutputScale = c.GetBool("altup_correct_scale"),
                CoefficientClip = c.GetFloat("altup_coef_clip", 0),
            },
            LaurelRank = c.GetInt("laurel_rank"),
            GateSparsity = Sparsity(c, layers),
            FinalLogitSoftCap = c.GetFloat("final_logit_softcapping", 0),
        };
    }

    // activation_sparsity_pattern, one target sparsity per layer (Gemma3nTextConfig: 0.95 on the first 10 of more than 10 layers),
    // as the normal quantile that cuts the gate at mean + quantile · std; a sparsity of 0 gives −∞ (no cut).
    private static float[] Sparsity(HfConfig c, int layers)
    {
        if (!c.TryGetFloatList("activation_sparsity_pattern", out var pattern))
            pattern = [.. Enumerable.Range(0, layers).Select(i => layers > DefaultSparseLayers && i < DefaultSparseLayers ? DefaultSparsity : 0f)];
        if (pattern.Length != layers) throw c.Error("activation_sparsity_pattern", $"has {pattern.Length} entries for {layers} layers");
        var bad = pattern.FirstOrDefault(p => p is < 0 or >= 1);
        if (bad != 0) throw c.Error("activation_sparsity_pattern", $"has {bad}; a sparsity is at least 0 and below 1");
        return [.. pattern.Select(p => (float)NormalQuantile.Of(p))];
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var o = p.Common(RopeStyle.Half);
        var layers = o.LayerCount;
        // llama.cpp: sliding_window_pattern as the converter writes it (one flag per layer), else a period of 5.
        var sliding = p.SlidingLayers(layers, 5);
        var window = p.Int("attention.sliding_window");
        var shared = p.Int("attention.shared_kv_layers", 0);
        if (shared < 0 || shared >= layers)
            throw new InvalidModelFileException(file.FilePath, $"key 'gemma3n.attention.shared_kv_layers' is {shared}; it must be below the block count ({layers})");
        var laurel = file.Find("blk.0.laurel_l.weight") ?? throw new InvalidModelFileException(file.FilePath, "tensor 'blk.0.laurel_l.weight' is missing");
        var widths = p.FeedForwardByLayer();
        if (widths.Length is not 0 && widths.Length != layers)
            throw new InvalidModelFileException(file.FilePath, $"key 'gemma3n.feed_forward_length' has {widths.Length} entries for {layers} layers");
        return Gemma2Family.Gemma(o) with
        {
            QkNorm = true,
            ValueNorm = true,
            AttentionScale = 1f,
            SlidingWindows = [.. sliding.Select(s => s ? window : 0)],
            SlidingRope = new RopeConfig(p.Float("rope.freq_base_swa", 10000f), o.Rope!.RotaryDim, RopeStyle.Half),
            KvSources = Gemma4Family.SharedKvSources([.. sliding.Select(s => !s)], shared),
            FeedForwardLengths = widths,
            PerLayerInputSize = p.Int("embedding_length_per_layer_input", 256),
            AltUp = new AltUpOptions { Streams = p.Int("altup.num_inputs", 4), ActiveStream = p.Int("altup.active_idx", 0) },
            LaurelRank = checked((int)laurel.Shape[0]),
            GateSparsity = GgufSparsity(file, layers),
            FinalLogitSoftCap = p.Float("final_logit_softcapping", 0),
        };
    }

    // activation_sparsity_scale: the converter's quantile per layer (−∞ where a layer has none); llama.cpp's default without it.
    private static float[] GgufSparsity(GgufFile file, int layers)
    {
        const string key = "gemma3n.activation_sparsity_scale";
        if (!file.Metadata.ContainsKey(key))
            return [.. Enumerable.Range(0, layers).Select(i => i < DefaultSparseLayers ? (float)NormalQuantile.Of(DefaultSparsity) : float.NegativeInfinity)];
        var scales = file.Metadata.GetArray<float>(key);
        if (scales.Length != layers) throw new InvalidModelFileException(file.FilePath, $"key '{key}' has {scales.Length} entries for {layers} layers");
        return scales;
    }
}
