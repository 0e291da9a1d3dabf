using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// StarCoder2: Llama attention (GQA, RoPE) with LayerNorms and biases everywhere (`use_bias`), an ungated GELU-tanh MLP
/// c_fc/c_proj, and a sliding window on every layer — which llama.cpp's starcoder2 does not apply, so a GGUF attends to everything.
/// </summary>
public sealed class StarCoder2Family : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["starcoder2"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["starcoder2"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = DecoderTensorNames.HuggingFace with
    {
        Gate = null,
        GateUp = null,
        Up = "model.layers.{i}.mlp.c_fc.weight",
        Down = "model.layers.{i}.mlp.c_proj.weight",
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = DecoderTensorNames.Gguf with { Gate = null };

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig c)
    {
        var o = StarCoder2(c.Common("starcoder2"));
        return o with
        {
            NormEps = c.GetFloat("norm_epsilon", 1e-5f),
            Activation = HfActivation.Read(c, "hidden_act", "gelu_pytorch_tanh"),
            SlidingWindows = c.SlidingWindows(o.LayerCount, _ => true),
        };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file) => StarCoder2(new GgufHyperParameters(file).Common(RopeStyle.Half)) with { Activation = Activation.GeluTanh };

    private static DecoderOptions StarCoder2(DecoderOptions o) => o with { Norm = NormKind.Layer, GatedMlp = false };
}
