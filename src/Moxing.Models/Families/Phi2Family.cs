using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// Phi-2 (HF `phi`): attention and MLP in parallel from one LayerNorm (with bias), partial rotary embeddings, q/k/v/dense
/// biases, an ungated GELU MLP fc1/fc2 with biases, a final LayerNorm and an LM head with bias. GGUFs may hold q/k/v fused
/// (`attn_qkv`, older converters) or apart.
/// </summary>
public sealed class Phi2Family : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["phi"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["phi2"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = DecoderTensorNames.HuggingFace with
    {
        O = "model.layers.{i}.self_attn.dense.weight",
        MlpNorm = null,
        Gate = null,
        GateUp = null,
        Up = "model.layers.{i}.mlp.fc1.weight",
        Down = "model.layers.{i}.mlp.fc2.weight",
        FinalNorm = "model.final_layernorm.weight",
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = DecoderTensorNames.Gguf with { MlpNorm = null, Gate = null };

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig c)
    {
        if (c.GetBool("qk_layernorm", false)) throw c.Error("qk_layernorm", "is true; Phi's q/k LayerNorms are not supported");
        return Phi2(c.Common("phi")) with
        {
            NormEps = c.GetFloat("layer_norm_eps", 1e-5f),
            Activation = HfActivation.Read(c, "hidden_act", "gelu_new"),
        };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file) => Phi2(new GgufHyperParameters(file).Common(RopeStyle.Half)) with { Activation = Activation.GeluTanh };

    private static DecoderOptions Phi2(DecoderOptions o) => o with { Norm = NormKind.Layer, GatedMlp = false, ParallelBlock = true };
}
