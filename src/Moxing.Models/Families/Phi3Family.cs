using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>Phi-3/3.5: Llama math with fused qkv_proj and gate_up_proj, and a sliding window.</summary>
public sealed class Phi3Family : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["phi3"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["phi3"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames => DecoderTensorNames.HuggingFace;

    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = DecoderTensorNames.Gguf with { GateUp = "blk.{i}.ffn_up.weight", Up = null };

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig c)
    {
        var o = c.Common("phi3");
        return o with { SlidingWindows = c.SlidingWindows(o.LayerCount, _ => true) };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var o = p.Common(RopeStyle.Half);
        var window = p.Int("attention.sliding_window", 0);
        return o with { SlidingWindows = Enumerable.Repeat(window, o.LayerCount).ToArray() };
    }
}
