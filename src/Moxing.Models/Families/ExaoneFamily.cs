using System.Text.Json.Nodes;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// EXAONE 3.x (HF `exaone`, GGUF `exaone`): Llama's computation (RMSNorm, GQA, NEOX RoPE with llama3 scaling, SwiGLU) under
/// GPT-2-style names — transformer.wte, h.N.ln_1/ln_2, attn.attention.{q,k,v,out}_proj, mlp.c_fc_0 (gate) / c_fc_1 (up) /
/// c_proj, ln_f — and num_layers / layer_norm_epsilon / activation_function in its config.
/// </summary>
public sealed class ExaoneFamily : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["exaone"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["exaone"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = new()
    {
        BasePrefix = "transformer.",
        Embedding = "transformer.wte.weight",
        AttentionNorm = "transformer.h.{i}.ln_1.weight",
        Q = "transformer.h.{i}.attn.attention.q_proj.weight",
        K = "transformer.h.{i}.attn.attention.k_proj.weight",
        V = "transformer.h.{i}.attn.attention.v_proj.weight",
        O = "transformer.h.{i}.attn.attention.out_proj.weight",
        MlpNorm = "transformer.h.{i}.ln_2.weight",
        Gate = "transformer.h.{i}.mlp.c_fc_0.weight",
        Up = "transformer.h.{i}.mlp.c_fc_1.weight",
        Down = "transformer.h.{i}.mlp.c_proj.weight",
        FinalNorm = "transformer.ln_f.weight",
        Output = "lm_head.weight",
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        // ExaoneConfig's attribute_map: num_hidden_layers is num_layers.
        var c = config.TryGetInt("num_layers", out var layers) ? config.WithDefaults(new JsonObject { ["num_hidden_layers"] = layers }.ToJsonString()) : config;
        return c.Common("exaone") with
        {
            NormEps = c.GetFloat("layer_norm_epsilon", 1e-5f),
            Activation = HfActivation.Read(c, "activation_function", "silu"),
        };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file) => new GgufHyperParameters(file).Common(RopeStyle.Half);
}
