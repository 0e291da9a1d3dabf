using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// gpt-oss (OpenAI's open-weight MoE, GGUF architecture "gpt-oss" as llama.cpp's converter writes it; its openai-moe graph):
/// q/k/v/o biases, a learned sink logit per head in every attention softmax, a 128-position window on every other layer
/// (layer i slides when i is even), YaRN RoPE on every layer, and a sparse MoE block whose router has a bias and whose top-k
/// logits are softmaxed among themselves (the same weights as a softmax over all renormalised over the k), with biased experts
/// and the clamped SwiGLU. The norm before the experts is stored as `post_attention_norm`.
/// </summary>
public sealed class GptOssFamily : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = [];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["gpt-oss"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = DecoderTensorNames.HuggingFace with { Sinks = "model.layers.{i}.self_attn.sinks" };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = DecoderTensorNames.Gguf with
    {
        MlpNorm = "blk.{i}.post_attention_norm.weight",
        PostAttentionNorm = null,
    };

    private const string HfUnsupported = "gpt-oss Hugging Face checkpoints (MXFP4 blocks and scales, fused gate_up) are not read; "
        + "convert them with llama.cpp's convert_hf_to_gguf.py and load the GGUF";

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config) => throw new NotSupportedException(HfUnsupported);

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var o = p.Common(RopeStyle.Half);
        var window = p.Int("attention.sliding_window");
        var sliding = p.SlidingLayers(o.LayerCount, 2);
        // llama.cpp: windowed layers rotate by rope.freq_base_swa when given, with the same scaling as the others.
        var swaBase = p.Float("rope.freq_base_swa", (float)o.Rope!.Theta);
        return o with
        {
            Activation = Activation.SwigluOai,
            AttentionSinks = true,
            SlidingWindows = sliding.Select(s => s ? window : 0).ToArray(),
            SlidingRope = swaBase == o.Rope.Theta ? null : o.Rope with { Theta = swaBase },
            Moe = p.Experts(o.IntermediateSize, normalizeTopK: true),
        };
    }
}
