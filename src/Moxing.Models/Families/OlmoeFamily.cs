using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// OLMoE: Llama attention with one RMSNorm over the whole query and key projections (not per head), and a sparse MoE block
/// per layer whose top-k weights are used as the softmax gave them (norm_topk_prob false; llama.cpp never renormalises).
/// </summary>
public sealed class OlmoeFamily : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["olmoe"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["olmoe"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames => DecoderTensorNames.HuggingFace;

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig c)
    {
        if (c.Has("clip_qkv")) throw c.Error("clip_qkv", "is set; clamping q/k/v is not supported");
        return c.Common("olmoe") with
        {
            QkNorm = true,
            QkNormAcrossHeads = true,
            NormEps = c.GetFloat("rms_norm_eps", 1e-5f),
            Moe = c.Experts("num_experts", "intermediate_size"),
        };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var o = p.Common(RopeStyle.Half);
        return o with { QkNorm = true, QkNormAcrossHeads = true, Moe = p.Experts(o.IntermediateSize, normalizeTopK: false) };
    }
}
