using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// Seed-OSS (HF and GGUF `seed_oss`; ByteDance Seed-OSS-36B): Llama's block (pre-norms, NEOX RoPE, SwiGLU) with heads of head_dim
/// (128, wider than hidden/heads on the 36B) and q/k/v biases (attention_bias), an output-projection bias when
/// attention_out_bias and MLP biases when mlp_bias are set (all read from the checkpoint), an untied head. llama.cpp's converter
/// writes the norm before the MLP under the post-attention name (`post_attention_norm`).
/// </summary>
public sealed class SeedOssFamily : IDecoderFamily
{
    // SeedOssConfig's defaults where the shared reader's differ.
    private const string Defaults = """{"head_dim": 128}""";

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["seed_oss"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["seed_oss"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames => DecoderTensorNames.HuggingFace;

    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = DecoderTensorNames.Gguf with { MlpNorm = "blk.{i}.post_attention_norm.weight" };

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = config.WithDefaults(Defaults);
        return c.Common("seed_oss") with { Activation = HfActivation.Read(c, "hidden_act", "silu") };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file) => new GgufHyperParameters(file).Common(RopeStyle.Half);
}
