using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// Gemma (1) and CodeGemma: Gemma 2 without its soft-caps, post-norms and windows — embeddings scaled by sqrt(hidden), (1 + w)
/// RMSNorm, GeGLU (tanh), the head tied to the embeddings, head_dim from the config.
/// </summary>
public sealed class GemmaFamily : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["gemma"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["gemma"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames => DecoderTensorNames.HuggingFace;

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig c) => Gemma(c.Common("gemma")) with { NormWeightOffset = 1f };

    // llama.cpp's converter stores Gemma's norm weights as 1 + w.
    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file) => Gemma(new GgufHyperParameters(file).Common(RopeStyle.Half));

    private static DecoderOptions Gemma(DecoderOptions o) => Gemma2Family.Gemma(o) with { PostNorms = false };
}
