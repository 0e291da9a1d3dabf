using Moxing.Core;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// MiniCPM (HF `minicpm`, remote code; GGUF `minicpm`; MiniCPM-2B, MiniCPM-1B): Llama with the μP multipliers Granite's switches
/// express — embeddings × scale_emb, each attention and MLP output × scale_depth / sqrt(num_hidden_layers) before its residual
/// add, logits ÷ (hidden_size / dim_model_base) — and a tied head. MiniCPM3's multi-head latent attention is refused.
/// </summary>
public sealed class MiniCpmFamily : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["minicpm"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["minicpm"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames => DecoderTensorNames.HuggingFace;

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig c)
    {
        foreach (var key in new[] { "kv_lora_rank", "q_lora_rank" })
            if (c.Has(key)) throw c.Error(key, "is set; MiniCPM3's multi-head latent attention is not supported");
        // MiniCPM4's modeling applies the multipliers only with use_mup; llama.cpp always does.
        if (!c.GetBool("use_mup", true)) throw c.Error("use_mup", "is false; MiniCPM without its μP multipliers is not supported");
        var o = c.Common("minicpm");
        // MiniCPMModel multiplies the embeddings, scales each residual branch and divides the logits by these (the converter requires them).
        var depth = Positive(c, "scale_depth");
        return o with
        {
            EmbeddingScale = Positive(c, "scale_emb"),
            ResidualScale = (float)(depth / Math.Sqrt(o.LayerCount)),
            LogitDivisor = o.HiddenSize / Positive(c, "dim_model_base"),
        };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var o = p.Common(RopeStyle.Interleaved);
        // llama.cpp's defaults for MiniCPM GGUFs written before the converter stored the multipliers.
        return o with
        {
            EmbeddingScale = p.Float("embedding_scale", 12f),
            ResidualScale = p.Float("residual_scale", 1.4f / MathF.Sqrt(o.LayerCount)),
            LogitDivisor = p.Float("logit_scale", 256f / o.HiddenSize),
        };
    }

    private static float Positive(HfConfig c, string key)
    {
        var value = c.GetFloat(key);
        if (!(value > 0) || float.IsInfinity(value)) throw c.Error(key, $"is {value}; it must be positive and finite");
        return value;
    }
}
