using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>Qwen2/2.5 (q/k/v biases, found by name) and Qwen3 (per-head q/k RMSNorm).</summary>
public sealed class QwenFamily : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["qwen2", "qwen3"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["qwen2", "qwen3"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames => DecoderTensorNames.HuggingFace;

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig c)
    {
        var o = c.Common(c.GetString("model_type")) with { QkNorm = c.GetString("model_type") == "qwen3" };
        if (!c.GetBool("use_sliding_window", false)) return o;
        // Qwen's max_window_layers: layers from that index on use the window.
        var fullLayers = c.GetInt("max_window_layers", o.LayerCount);
        return o with { SlidingWindows = c.SlidingWindows(o.LayerCount, i => i >= fullLayers) };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        return p.Common(RopeStyle.Half) with { QkNorm = p.Architecture == "qwen3" };
    }
}
