using Moxing.Core;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// GLM-4.5 / 4.6 / 4.5-Air (HF `glm4_moe`, GGUF `glm4moe`): attention with q/k/v biases (attention_bias), per-head q/k RMSNorms
/// before RoPE where use_qk_norm, partial_rotary_factor of each head rotated as halves (transformers' rotate_half, llama.cpp's neox);
/// first_k_dense_replace dense layers, then DeepseekV3's noaux_tc routing (sigmoid scores, e_score_correction_bias for choosing,
/// n_group groups ranked by their best two, topk_group searched, norm_topk_prob, routed_scaling_factor) and n_shared_experts as one
/// ungated MLP. The next-token-prediction layers after num_hidden_layers (model.layers.{N}.*, GGUF nextn_predict_layers) are skipped.
/// </summary>
public sealed class Glm4MoeFamily : IDecoderFamily
{
    // Glm4MoeConfig's defaults where the shared readers' differ (GLM-4.5-Air's routing where transformers' defaults are its own).
    private const string Defaults = """
        {"partial_rotary_factor": 0.5, "rms_norm_eps": 1e-5, "n_routed_experts": 128, "n_shared_experts": 1, "num_experts_per_tok": 8,
         "moe_intermediate_size": 1408, "first_k_dense_replace": 1, "n_group": 1, "topk_group": 1, "norm_topk_prob": true,
         "routed_scaling_factor": 1.0, "use_qk_norm": false}
        """;

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["glm4_moe"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["glm4moe"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames => DeepSeekFamily.RoutedHfNames;

    // Glm4MoeModel's converter maps post_attention_layernorm to post_attention_norm (llama.cpp's attn_post_norm before the MLP).
    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = DeepSeekFamily.RoutedGgufNames with { MlpNorm = "blk.{i}.post_attention_norm.weight", PostAttentionNorm = null };

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = config.WithDefaults(Defaults);
        if (c.GetString("hidden_act", "silu") is var act && act != "silu") throw c.Error("hidden_act", $"is '{act}'; GLM-4.5 runs silu");
        var o = c.Common("glm4_moe");
        return o with { QkNorm = c.GetBool("use_qk_norm"), Moe = DeepSeekFamily.RoutedExperts(c, o.LayerCount, "noaux_tc", sigmoid: true) };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        // GLM-4.5V's text model rotates by sections (M-RoPE), which the engine does not.
        if (p.Has("rope.dimension_sections"))
            throw new InvalidModelFileException(file.FilePath, "key 'glm4moe.rope.dimension_sections' is set; GLM-4.5V's multi-section RoPE is not supported");
        var o = p.Common(RopeStyle.Half);
        o = o with { LayerCount = p.WithoutNextN(o.LayerCount) };
        // llama.cpp's glm4moe: q/k norms where the file has them (GLM-4.5, not Air), sigmoid gating unless the key says otherwise.
        var moe = p.RoutedExperts(o.LayerCount, MoeGating.Sigmoid)
            ?? throw new InvalidModelFileException(file.FilePath, "key 'glm4moe.expert_count' or 'glm4moe.leading_dense_block_count' leaves no sparse layer; llama.cpp's glm4moe needs experts");
        return o with { QkNorm = file.Find("blk.0.attn_q_norm.weight") != null, Moe = moe };
    }
}
