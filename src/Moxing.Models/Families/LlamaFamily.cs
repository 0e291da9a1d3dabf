using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>Llama 2/3 and Mistral: RMSNorm, RoPE, GQA, SwiGLU; Mistral adds a sliding window on every layer.</summary>
public sealed class LlamaFamily : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["llama", "mistral"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["llama", "mistral"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames => DecoderTensorNames.HuggingFace;

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfHyperParameters c)
    {
        var o = c.Common(c.ModelType);
        return o with { SlidingWindows = c.SlidingWindows(o.LayerCount, _ => c.ModelType == "mistral") };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        // llama.cpp's converter permutes Q/K rows of llama-architecture models for GPT-J-style (interleaved) rotation.
        var o = p.Common(RopeStyle.Interleaved);
        var window = p.Int("attention.sliding_window", 0);
        return o with { SlidingWindows = Enumerable.Repeat(window, o.LayerCount).ToArray() };
    }
}
