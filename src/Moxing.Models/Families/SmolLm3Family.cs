using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// SmolLM3 (HF `smollm3`, GGUF `smollm3`): Llama with NoPE layers — layers whose queries and keys are not rotated. transformers
/// reads them from `no_rope_layers` (1: rotate, 0: not), by default every `no_rope_layer_interval`-th (4) layer; llama.cpp's
/// smollm3 always leaves out every 4th ((i + 1) % 4 == 0), with no GGUF key.
/// </summary>
public sealed class SmolLm3Family : IDecoderFamily
{
    /// <summary>llama.cpp's n_no_rope_layer_step: every 4th layer has no rotary embedding.</summary>
    public const int LlamaCppNoRopeStep = 4;

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["smollm3"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["smollm3"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames => DecoderTensorNames.HuggingFace;

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig c)
    {
        if (c.GetBool("use_sliding_window", false)) throw c.Error("use_sliding_window", "is true; SmolLM3 with a sliding window is not supported");
        var o = c.Common("smollm3");
        var flags = c.GetIntList("no_rope_layers");
        if (flags.Length != 0 && flags.Length != o.LayerCount)
            throw c.Error("no_rope_layers", $"has {flags.Length} entries for {o.LayerCount} layers");
        var interval = c.GetInt("no_rope_layer_interval", LlamaCppNoRopeStep);
        if (flags.Length == 0 && interval <= 0) throw c.Error("no_rope_layer_interval", $"is {interval}; it must be positive");
        // SmolLM3Config: no_rope_layers[i] = int((i + 1) % no_rope_layer_interval != 0) when not given.
        return o with { NoRopeLayers = Enumerable.Range(0, o.LayerCount).Select(i => flags.Length > 0 ? flags[i] == 0 : (i + 1) % interval == 0).ToArray() };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        // LlamaModel's converter permutes Q/K rows for llama.cpp's interleaved rotation.
        var o = new GgufHyperParameters(file).Common(RopeStyle.Interleaved);
        return o with { NoRopeLayers = Enumerable.Range(0, o.LayerCount).Select(i => (i + 1) % LlamaCppNoRopeStep == 0).ToArray() };
    }
}
