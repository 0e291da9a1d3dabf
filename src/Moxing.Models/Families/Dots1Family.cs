using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// dots.llm1 (HF `dots1`, GGUF `dots1`; rednote-hilab/dots.llm1.base/.inst): Qwen 3's attention (per-head q/k RMSNorms before RoPE,
/// no biases) with DeepseekV3's experts: first_k_dense_replace dense layers, then noaux_tc routing (sigmoid scores,
/// e_score_correction_bias for choosing, n_group groups ranked by their best two, norm_topk_prob, routed_scaling_factor) and
/// n_shared_experts as one ungated MLP. Layers from max_window_layers on slide by sliding_window (none in the published models).
/// </summary>
public sealed class Dots1Family : IDecoderFamily
{
    // Dots1Config's defaults where the shared readers' differ.
    private const string Defaults = """{"max_window_layers": 62, "sliding_window": 4096}""";

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["dots1"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["dots1"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames => DeepSeekFamily.RoutedHfNames;

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DeepSeekFamily.RoutedGgufNames;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = config.WithDefaults(Defaults);
        var o = c.Common("dots1");
        // Dots1Config: layer i slides when sliding_window is set and i ≥ max_window_layers (unless layer_types says otherwise).
        var windowed = c.Has("sliding_window") ? c.GetInt("max_window_layers") : int.MaxValue;
        var windows = c.SlidingWindows(o.LayerCount, i => i >= windowed);
        return o with
        {
            Activation = HfActivation.Read(c, "hidden_act", "silu"),
            QkNorm = true,
            SlidingWindows = windows.Any(w => w > 0) ? windows : [],
            Moe = DeepSeekFamily.RoutedExperts(c, o.LayerCount, "noaux_tc", sigmoid: true),
        };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        // llama.cpp's dots1 needs expert_gating_func (its converter writes the config's scoring_func); dots.llm1's code is sigmoid.
        var o = p.Common(RopeStyle.Half);
        return o with { QkNorm = true, Moe = p.RoutedExperts(o.LayerCount, MoeGating.Sigmoid) };
    }
}
