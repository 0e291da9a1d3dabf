using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// ERNIE 4.5 dense (HF and GGUF `ernie4_5`; ERNIE-4.5-0.3B): Llama whose whole heads rotate on interleaved pairs (2i, 2i + 1:
/// transformers' ernie4_5 takes GLM's rotate_half with cos/sin repeated pairwise; llama.cpp's normal mode on the rows its
/// converter leaves unpermuted), every projection with a bias when use_bias is set (the checkpoint's biases are read), and a tied
/// head in the published checkpoints.
/// </summary>
public sealed class Ernie45Family : IDecoderFamily
{
    // Ernie4_5Config's RMSNorm epsilon where the shared reader's default differs.
    internal const string Defaults = """{"rms_norm_eps": 1e-5}""";

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["ernie4_5"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["ernie4_5"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames => DecoderTensorNames.HuggingFace;

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config) => Ernie(config.WithDefaults(Defaults));

    /// <summary>The options ERNIE 4.5 dense and MoE share: SiLU only (Ernie4_5MLP and llama.cpp's graphs), interleaved RoPE.</summary>
    internal static DecoderOptions Ernie(HfConfig c)
    {
        if (c.GetString("hidden_act", "silu") is var act && act != "silu") throw c.Error("hidden_act", $"is '{act}'; ERNIE 4.5 runs silu");
        return Glm4Family.Interleaved(c.Common(c.GetString("model_type")));
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file) => new GgufHyperParameters(file).Common(RopeStyle.Interleaved);
}
