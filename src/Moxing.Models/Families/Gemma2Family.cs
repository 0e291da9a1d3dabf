using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// Gemma 2: embeddings scaled by sqrt(hidden), (1 + w) RMSNorm, GeGLU, norms before and after attention and MLP,
/// tanh soft-capping of attention scores and final logits, sliding window on every other layer.
/// </summary>
public sealed class Gemma2Family : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["gemma2"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["gemma2"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames => Names;

    /// <summary>Gemma's HF names: a norm before and after attention and the MLP (Gemma 2 and 3).</summary>
    internal static DecoderTensorNames Names { get; } = DecoderTensorNames.HuggingFace with
    {
        PostAttentionNorm = "model.layers.{i}.post_attention_layernorm.weight",
        MlpNorm = "model.layers.{i}.pre_feedforward_layernorm.weight",
        PostMlpNorm = "model.layers.{i}.post_feedforward_layernorm.weight",
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig c)
    {
        var o = c.Common("gemma2");
        return Gemma(o) with
        {
            NormWeightOffset = 1f,
            SlidingWindows = c.SlidingWindows(o.LayerCount, i => i % 2 == 0),
            AttentionScale = (float)(1 / Math.Sqrt(c.GetDouble("query_pre_attn_scalar", o.HeadDim))),
            AttentionSoftCap = c.GetFloat("attn_logit_softcapping", 0),
            FinalLogitSoftCap = c.GetFloat("final_logit_softcapping", 0),
        };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var o = p.Common(RopeStyle.Half);
        var window = p.Int("attention.sliding_window", 0);
        // llama.cpp's converter stores Gemma's norm weights as 1 + w.
        return Gemma(o) with
        {
            SlidingWindows = Enumerable.Range(0, o.LayerCount).Select(i => i % 2 == 0 ? window : 0).ToArray(),
            AttentionScale = 1 / MathF.Sqrt(GgufQueryScalar(o)),
            AttentionSoftCap = p.Float("attn_logit_softcapping", 0),
            FinalLogitSoftCap = p.Float("final_logit_softcapping", 0),
        };
    }

    /// <summary>
    /// The query_pre_attn_scalar llama.cpp assumes for a Gemma 2 GGUF (no key holds it): head_dim, except for the 27B shape
    /// (46 layers), whose scalar is hidden/heads.
    /// </summary>
    public static int GgufQueryScalar(DecoderOptions o) => o.LayerCount == 46 ? o.HiddenSize / o.HeadCount : o.HeadDim;

    /// <summary>What every Gemma shares: GeGLU (tanh), embeddings scaled by sqrt(hidden), norms after attention and MLP.</summary>
    internal static DecoderOptions Gemma(DecoderOptions o) => o with
    {
        Activation = Activation.GeluTanh,
        EmbeddingScale = MathF.Sqrt(o.HiddenSize),
        PostNorms = true,
    };
}
