using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>GPT-2: learned positions, LayerNorm with bias, fused c_attn, ungated MLP (gelu_new unless activation_function says otherwise), tied head.</summary>
public sealed class Gpt2Family : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["gpt2"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["gpt2"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = TransformerNames with { TransposedLinears = true };

    /// <summary>The `transformer.h.{i}` names of GPT-2's checkpoints, which GPT-BigCode's share (with nn.Linear weights).</summary>
    internal static DecoderTensorNames TransformerNames { get; } = new()
    {
        BasePrefix = "transformer.",
        Embedding = "transformer.wte.weight",
        PositionEmbedding = "transformer.wpe.weight",
        AttentionNorm = "transformer.h.{i}.ln_1.weight",
        Qkv = "transformer.h.{i}.attn.c_attn.weight",
        O = "transformer.h.{i}.attn.c_proj.weight",
        MlpNorm = "transformer.h.{i}.ln_2.weight",
        Up = "transformer.h.{i}.mlp.c_fc.weight",
        Down = "transformer.h.{i}.mlp.c_proj.weight",
        FinalNorm = "transformer.ln_f.weight",
        Output = "lm_head.weight",
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig c)
    {
        var hidden = c.GetInt("n_embd");
        var heads = c.GetInt("n_head");
        return Gpt2(new DecoderOptions
        {
            Architecture = "gpt2",
            VocabSize = c.GetInt("vocab_size"),
            HiddenSize = hidden,
            LayerCount = c.GetInt("n_layer"),
            HeadCount = heads,
            KvHeadCount = heads,
            HeadDim = hidden / heads,
            IntermediateSize = c.GetInt("n_inner", 4 * hidden),
            MaxContext = c.GetInt("n_positions"),
            NormEps = c.GetFloat("layer_norm_epsilon", 1e-5f),
        }) with
        { Activation = HfActivation.Read(c, "activation_function", "gelu_new") };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        return Gpt2(p.Common(RopeStyle.Half) with { NormEps = p.Float("attention.layer_norm_epsilon", 1e-5f) });
    }

    private static DecoderOptions Gpt2(DecoderOptions o) => o with
    {
        Norm = NormKind.Layer,
        Activation = Activation.GeluTanh,
        GatedMlp = false,
        LearnedPositions = true,
        Rope = null,
    };
}
