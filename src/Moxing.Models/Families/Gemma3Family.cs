using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// Gemma 3 text: Gemma 2 without attention soft-capping, plus per-head (1 + w) q/k norms, a sliding window on five of every
/// six layers whose RoPE has its own base (rope_local_base_freq, unscaled). Gemma3ForConditionalGeneration checkpoints
/// ("gemma3") run their text model here; their vision tower and projector load beside it (<see cref="Vision.VisionLoader.LoadHf"/>).
/// </summary>
public sealed class Gemma3Family : IDecoderFamily
{
    // Gemma3TextConfig's defaults: the multimodal configs' text_config leaves most of these out.
    private const string TextDefaults = """
        {"vocab_size": 262208, "hidden_size": 2304, "intermediate_size": 9216, "num_hidden_layers": 26,
         "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256, "max_position_embeddings": 131072,
         "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0, "query_pre_attn_scalar": 256,
         "sliding_window": 4096, "sliding_window_pattern": 6}
        """;

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["gemma3_text", "gemma3"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["gemma3"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = Gemma2Family.Names with { NestedPrefixes = LanguageModelPrefixes, IgnoredPrefixes = VisionPrefixes };

    /// <summary>
    /// Where a transformers ...ForConditionalGeneration checkpoint nests its text model: as language_model.model.* before
    /// transformers 4.52, as model.language_model.* from it on (Gemma 3, Mistral 3).
    /// </summary>
    internal static IReadOnlyList<(string From, string To)> LanguageModelPrefixes { get; } =
        [("model.language_model.", "model."), ("language_model.model.", "model."), ("language_model.lm_head.", "lm_head.")];

    /// <summary>The vision tower and projector of such a checkpoint, in either nesting: not the decoder's.</summary>
    internal static IReadOnlyList<string> VisionPrefixes { get; } =
        ["vision_tower.", "multi_modal_projector.", "model.vision_tower.", "model.multi_modal_projector."];

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <summary>The text model's config: config.json itself (gemma3_text) or its text_config (gemma3), with Gemma3TextConfig's defaults.</summary>
    public static HfConfig TextConfig(HfConfig c) =>
        (c.GetString("model_type") == "gemma3" ? c.GetSection("text_config") : c).WithDefaults(TextDefaults);

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = TextConfig(config);
        var o = c.Common("gemma3");
        var period = c.GetInt("sliding_window_pattern");
        return Gemma2Family.Gemma(o) with
        {
            NormWeightOffset = 1f,
            QkNorm = true,
            SlidingWindows = c.SlidingWindows(o.LayerCount, i => period > 0 && (i + 1) % period != 0),
            SlidingRope = SlidingRope(c, o),
            AttentionScale = (float)(1 / Math.Sqrt(c.GetDouble("query_pre_attn_scalar"))),
            FinalLogitSoftCap = c.GetFloat("final_logit_softcapping", 0),
        };
    }

    /// <summary>
    /// The sliding layers' RoPE (Gemma 3, Gemma 3n), null when it is the full layers' (<paramref name="o"/>.Rope): transformers 5 keeps
    /// both schedules in rope_parameters; earlier configs give the local base alone (rope_local_base_freq), never scaled.
    /// </summary>
    internal static RopeConfig? SlidingRope(HfConfig c, DecoderOptions o)
    {
        var full = o.Rope!;
        var sliding = c.TryGetSection("rope_parameters", out var parameters) && parameters.IsSection("sliding_attention")
            ? c.Rope(o.HeadDim, o.MaxContext, "sliding_attention")
            : new RopeConfig(c.GetDouble("rope_local_base_freq"), full.RotaryDim, RopeStyle.Half);
        return sliding == full ? null : sliding;
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var o = p.Common(RopeStyle.Half);
        var window = p.Int("attention.sliding_window", 0);
        // llama.cpp: no window key, no sliding layers; windowed layers rotate by rope.freq_base_swa, unscaled.
        var sliding = window > 0 ? p.SlidingLayers(o.LayerCount, 6) : new bool[o.LayerCount];
        // llama.cpp's converter stores Gemma's norm weights as 1 + w.
        return Gemma2Family.Gemma(o) with
        {
            QkNorm = true,
            SlidingWindows = sliding.Select(s => s ? window : 0).ToArray(),
            SlidingRope = window > 0 ? new RopeConfig(p.Float("rope.freq_base_swa", 10000f), o.Rope!.RotaryDim, RopeStyle.Half) : null,
            AttentionScale = 1 / MathF.Sqrt(GgufQueryScalar(o)),
            FinalLogitSoftCap = p.Float("final_logit_softcapping", 0),
        };
    }

    /// <summary>
    /// The query_pre_attn_scalar llama.cpp assumes for a Gemma 3 GGUF (no key holds it): head_dim, except for the 27B shape
    /// (62 layers), whose scalar is hidden/heads.
    /// </summary>
    public static int GgufQueryScalar(DecoderOptions o) => o.LayerCount == 62 ? o.HiddenSize / o.HeadCount : o.HeadDim;
}
