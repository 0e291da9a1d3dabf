using Moxing.Core;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// Granite 3.x: Llama with four multipliers — of the embeddings, of each attention and MLP output before its residual add,
/// of q·k (replacing 1/sqrt(head_dim)) — and a divisor of the logits.
/// </summary>
public sealed class GraniteFamily : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["granite"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["granite"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames => DecoderTensorNames.HuggingFace;

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig c) => Multipliers(c, c.Common("granite"));

    /// <summary><paramref name="o"/> with the four multipliers of a Granite config (granite, granitemoe, granitemoeshared).</summary>
    internal static DecoderOptions Multipliers(HfConfig c, DecoderOptions o) => o with
    {
        // GraniteConfig's defaults are all 1 (attention_multiplier too: it replaces the usual scale outright).
        EmbeddingScale = c.GetFloat("embedding_multiplier", 1f),
        ResidualScale = c.GetFloat("residual_multiplier", 1f),
        AttentionScale = c.GetFloat("attention_multiplier", 1f),
        LogitDivisor = c.GetFloat("logits_scaling", 1f),
    };

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file) => FromGguf(new GgufHyperParameters(file), file);

    /// <summary>
    /// The options of a granite, granitemoe or granitehybrid GGUF (read through <paramref name="p"/>), its multipliers included;
    /// <paramref name="recurrentLayers"/>: layers whose head_count_kv is 0 do not attend (granitehybrid's Mamba2 layers).
    /// </summary>
    internal static DecoderOptions FromGguf(GgufHyperParameters p, GgufFile file, bool recurrentLayers = false)
    {
        // GraniteModel converts as LlamaModel does, Q/K rows permuted; llama.cpp reads an absent or zero scale as none.
        var o = p.Common(RopeStyle.Interleaved, recurrentLayers);
        if (!p.Has("logit_scale"))
            throw new InvalidModelFileException(file.FilePath, $"key '{p.Architecture}.logit_scale' is missing; llama.cpp's {p.Architecture} requires it");
        float? Scale(string key) => p.Float(key, 0f) is var v && v != 0f ? v : null;
        return o with
        {
            EmbeddingScale = Scale("embedding_scale") ?? 1f,
            ResidualScale = Scale("residual_scale") ?? 1f,
            AttentionScale = Scale("attention.scale"),
            LogitDivisor = Scale("logit_scale") ?? 1f,
        };
    }
}
