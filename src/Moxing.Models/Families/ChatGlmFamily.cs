using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// GLM (HF `glm`: glm-4-9b-chat-hf) and ChatGLM GGUFs (llama.cpp's `chatglm`: glm-4-9b-chat — Ollama's glm4 —, chatglm3-6b):
/// GLM-4's block without its post-norms — q/k/v biases (GGUF one fused attn_qkv or three), half of each head rotated on
/// interleaved pairs, one fused gate/up projection, RMSNorms before attention and MLP, an untied head.
/// </summary>
public sealed class ChatGlmFamily : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["glm"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["chatglm"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames => DecoderTensorNames.HuggingFace;

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => Glm4Family.FusedGateUpGguf;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig c) => Glm4Family.Glm(c, "glm");

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file) => Glm4Family.Interleaved(new GgufHyperParameters(file).Common(RopeStyle.Interleaved));
}
