using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// Cohere Command-R (HF `cohere`, GGUF `command-r`; command-r, command-r-plus, aya-23): one mean-subtracting LayerNorm
/// without bias feeding attention and a SwiGLU MLP in parallel, rotary embeddings on interleaved pairs (2i, 2i + 1; the
/// converter leaves Q/K rows as they are), logits multiplied by logit_scale, the head tied to the embeddings, and optional
/// per-head q/k LayerNorms with a weight row per head (use_qk_norm; llama.cpp reads them from 64 layers on).
/// </summary>
public sealed class CohereFamily : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["cohere"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["command-r"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames => DecoderTensorNames.HuggingFace;

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <summary>The layer count from which llama.cpp's command-r reads q/k norms (command-r-plus), and below which it has none.</summary>
    public const int GgufQkNormLayers = 64;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig c) => FromHfConfig(c, "cohere") with { QkNorm = c.GetBool("use_qk_norm", false) };

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var o = p.Common(RopeStyle.Interleaved);
        // llama.cpp's command-r reads an absent or zero logit_scale as none.
        var scale = p.Float("logit_scale", 0f);
        return Cohere(o) with { LogitDivisor = scale != 0 ? 1 / scale : 1, QkNorm = o.LayerCount >= GgufQkNormLayers };
    }

    /// <summary>The switches Cohere and Cohere2 share, from their HF config (layer_norm_eps, logit_scale, interleaved RoPE).</summary>
    internal static DecoderOptions FromHfConfig(HfConfig c, string architecture)
    {
        var o = c.Common(architecture);
        var scale = c.GetFloat("logit_scale", 0.0625f);
        if (!(scale > 0) || float.IsInfinity(scale)) throw c.Error("logit_scale", $"is {scale}; it must be positive and finite");
        return Cohere(o) with
        {
            // CommandR2Model: model_max_length is the context trained for (config.json's max_position_embeddings says 8192).
            MaxContext = c.GetInt("model_max_length", o.MaxContext),
            NormEps = c.GetFloat("layer_norm_eps", 1e-5f),
            Activation = HfActivation.Read(c, "hidden_act", "silu"),
            Rope = o.Rope! with { Style = RopeStyle.Interleaved },
            LogitDivisor = 1 / scale,
        };
    }

    /// <summary>Cohere's block: parallel attention and MLP from one LayerNorm, per-head q/k norm weights when there are q/k norms.</summary>
    internal static DecoderOptions Cohere(DecoderOptions o) => o with { Norm = NormKind.Layer, ParallelBlock = true, QkNormPerHeadWeights = true };
}
