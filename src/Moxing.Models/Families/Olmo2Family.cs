using Moxing.Core;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// OLMo 2: Llama whose blocks read the residual stream itself and normalise their outputs instead (an RMSNorm after attention
/// and after the MLP, none before), with one RMSNorm over the whole query and key projections (as OLMoE) and no biases.
/// </summary>
public sealed class Olmo2Family : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["olmo2"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["olmo2"];

    /// <summary>Hugging Face names of a block normed only after attention and MLP (OLMo 2, EXAONE 4).</summary>
    internal static readonly DecoderTensorNames PostNormHfNames = DecoderTensorNames.HuggingFace with
    {
        AttentionNorm = null,
        MlpNorm = null,
        PostAttentionNorm = "model.layers.{i}.post_attention_layernorm.weight",
        PostMlpNorm = "model.layers.{i}.post_feedforward_layernorm.weight",
    };

    /// <summary>llama.cpp's names of such a block (its post norms under their usual names, no pre-norms).</summary>
    internal static readonly DecoderTensorNames PostNormGgufNames = DecoderTensorNames.Gguf with { AttentionNorm = null, MlpNorm = null };

    /// <inheritdoc />
    public DecoderTensorNames HfNames => PostNormHfNames;

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => PostNormGgufNames;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig c) => Olmo2(c.Common("olmo2"));

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        // OLMo 3's windows (llama.cpp runs them under this architecture) are not read: refused rather than attended in full.
        if (p.Int("attention.sliding_window", 0) > 0)
            throw new InvalidModelFileException(file.FilePath, "key 'olmo2.attention.sliding_window' is set; OLMo 3's sliding windows are not supported");
        return Olmo2(p.Common(RopeStyle.Half));
    }

    private static DecoderOptions Olmo2(DecoderOptions o) => o with { PreNorms = false, PostNorms = true, QkNorm = true, QkNormAcrossHeads = true };
}
