using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// Llama 2/3 and Mistral: RMSNorm, RoPE, GQA, SwiGLU; Mistral adds a sliding window on every layer. A llama GGUF with
/// `llama.expert_count` is Mixtral (top-k weights renormalised, as llama.cpp builds it).
/// </summary>
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
    public DecoderOptions FromHf(HfConfig c)
    {
        var o = c.Common(c.GetString("model_type"));
        return o with { SlidingWindows = c.SlidingWindows(o.LayerCount, _ => c.GetString("model_type") == "mistral") };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        // llama.cpp's converter permutes Q/K rows of llama-architecture models for GPT-J-style (interleaved) rotation.
        var o = p.Common(RopeStyle.Interleaved);
        var window = p.Int("attention.sliding_window", 0);
        return o with
        {
            SlidingWindows = Enumerable.Repeat(window, o.LayerCount).ToArray(),
            Moe = p.Experts(o.IntermediateSize, normalizeTopK: true),
        };
    }
}
