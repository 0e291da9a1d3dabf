using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// Qwen2/2.5 (q/k/v biases, found by name) and Qwen3 (per-head q/k RMSNorm), and their mixtures of experts: Qwen2-MoE (a
/// sigmoid-gated shared expert, top-k weights as the softmax gave them) and Qwen3-MoE (top-k weights renormalised).
/// </summary>
public sealed class QwenFamily : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["qwen2", "qwen3", "qwen2_moe", "qwen3_moe"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["qwen2", "qwen3", "qwen2moe", "qwen3moe"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames => DecoderTensorNames.HuggingFace;

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig c)
    {
        var type = c.GetString("model_type");
        var o = c.Common(type) with
        {
            QkNorm = type is "qwen3" or "qwen3_moe",
            Moe = type.EndsWith("_moe", StringComparison.Ordinal) ? c.Experts("num_experts", "moe_intermediate_size") : null,
        };
        if (!c.GetBool("use_sliding_window", false)) return o;
        // Qwen's max_window_layers: layers from that index on use the window.
        var fullLayers = c.GetInt("max_window_layers", o.LayerCount);
        return o with { SlidingWindows = c.SlidingWindows(o.LayerCount, i => i >= fullLayers) };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var o = p.Common(RopeStyle.Half);
        var used = p.Int("expert_used_count", 1);
        // llama.cpp: experts are feed_forward_length / expert_used_count wide when expert_feed_forward_length is absent.
        return o with
        {
            QkNorm = p.Architecture is "qwen3" or "qwen3moe",
            Moe = p.Architecture.EndsWith("moe", StringComparison.Ordinal)
                ? p.Experts(used > 0 ? o.IntermediateSize / used : 0, normalizeTopK: p.Architecture == "qwen3moe", sharedExpert: p.Architecture == "qwen2moe")
                : null,
        };
    }
}
