using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// Nemotron (HF and GGUF `nemotron`; Nemotron-Mini-4B, Minitron-4B/8B): LayerNorm1P (a LayerNorm with bias whose weight is stored
/// as w and applied as 1 + w; llama.cpp's converter writes 1 + w), an ungated MLP of squared ReLU (up_proj, down_proj), part of
/// each head rotated (partial_rotary_factor, NEOX pairs), an untied head.
/// </summary>
public sealed class NemotronFamily : IDecoderFamily
{
    // NemotronConfig's defaults for the keys whose absence the shared reader would take otherwise.
    private const string Defaults = """{"partial_rotary_factor": 0.5, "hidden_act": "relu2"}""";

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["nemotron"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["nemotron"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames => DecoderTensorNames.HuggingFace;

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = config.WithDefaults(Defaults);
        return Nemotron(c.Common("nemotron")) with
        {
            NormEps = c.GetFloat("norm_eps", 1e-5f),
            NormWeightOffset = 1f,
            Activation = HfActivation.Read(c, "hidden_act", "relu2"),
        };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file) => Nemotron(new GgufHyperParameters(file).Common(RopeStyle.Half)) with { Activation = Activation.ReluSquared };

    private static DecoderOptions Nemotron(DecoderOptions o) => o with { Norm = NormKind.Layer, GatedMlp = false };
}
