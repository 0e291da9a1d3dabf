using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// Arcee AFM (HF and GGUF `arcee`; AFM-4.5B): Llama with an ungated MLP of squared ReLU (down(relu²(up(x))), ArceeMLP's hidden_act
/// relu2), YaRN RoPE in AFM-4.5B's config. llama.cpp's converter is LlamaModel's (Q/K rows permuted for its interleaved rotation).
/// </summary>
public sealed class ArceeFamily : IDecoderFamily
{
    // ArceeConfig's defaults where the shared reader's differ.
    private const string Defaults = """{"rms_norm_eps": 1e-5}""";

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["arcee"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["arcee"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames => DecoderTensorNames.HuggingFace;

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = config.WithDefaults(Defaults);
        return c.Common("arcee") with { GatedMlp = false, Activation = HfActivation.Read(c, "hidden_act", "relu2") };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file) =>
        new GgufHyperParameters(file).Common(RopeStyle.Interleaved) with { GatedMlp = false, Activation = Activation.ReluSquared };
}
