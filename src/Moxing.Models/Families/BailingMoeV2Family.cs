using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// Ling 2.0 / Bailing MoE v2 (HF `bailing_moe_v2`, GGUF `bailingmoe2`; Ling-mini-2.0, Ling-flash-2.0): one query_key_value ([q; k; v]
/// rows, kept fused as llama.cpp's attn_qkv), per-head q/k RMSNorms (query_layernorm, key_layernorm) before RoPE on
/// partial_rotary_factor of each head as halves; first_k_dense_replace dense layers, then DeepSeek-V3-style routing (sigmoid
/// scores, the gate's expert_bias for choosing, n_group groups by their best two with topk_group searched, renormalised where
/// norm_topk_prob and more than one is chosen, × routed_scaling_factor) plus num_shared_experts as one ungated MLP
/// (moe_shared_expert_intermediate_size wide where given). Next-token-prediction layers are skipped.
/// </summary>
public sealed class BailingMoeV2Family : IDecoderFamily
{
    // BailingMoeV2Config's defaults where the shared readers' differ (llama.cpp's converter assumes half of each head rotated).
    private const string Defaults = """
        {"rms_norm_eps": 1e-6, "partial_rotary_factor": 0.5, "use_qk_norm": true, "first_k_dense_replace": 0, "num_shared_experts": 0,
         "n_group": 1, "topk_group": 1, "norm_topk_prob": true, "routed_scaling_factor": 1.0}
        """;

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["bailing_moe_v2"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["bailingmoe2"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = DeepSeekFamily.RoutedHfNames with
    {
        Embedding = "model.word_embeddings.weight",
        Qkv = "model.layers.{i}.attention.query_key_value.weight",
        O = "model.layers.{i}.attention.dense.weight",
        QNorm = "model.layers.{i}.attention.query_layernorm.weight",
        KNorm = "model.layers.{i}.attention.key_layernorm.weight",
        ExpertSelectionBias = "model.layers.{i}.mlp.gate.expert_bias",
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DeepSeekFamily.RoutedGgufNames;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = config.WithDefaults(Defaults);
        if (c.GetBool("use_qkv_bias", false)) throw c.Error("use_qkv_bias", "is true; llama.cpp's bailingmoe2 has no bias on attn_qkv, and none is supported");
        var o = c.Common("bailing_moe_v2") with { Activation = HfActivation.Read(c, "hidden_act", "silu"), QkNorm = c.GetBool("use_qk_norm") };
        var moe = DeepSeekFamily.RoutedExperts(c, o.LayerCount, "noaux_tc", sigmoid: true, "num_experts", "num_shared_experts");
        var shared = c.GetInt("num_shared_experts");
        return o with
        {
            // BailingMoeV2Gate renormalises only when it chooses more than one.
            Moe = moe with
            {
                NormalizeTopK = moe.NormalizeTopK && moe.ExpertsUsed > 1,
                SharedFeedForward = shared == 0 ? 0 : c.GetInt("moe_shared_expert_intermediate_size", moe.SharedFeedForward),
            },
        };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var o = p.Common(RopeStyle.Half);
        var layers = p.WithoutNextN(o.LayerCount);
        var moe = p.RoutedExperts(layers, MoeGating.Sigmoid)
            ?? throw new Core.InvalidModelFileException(file.FilePath, "key 'bailingmoe2.expert_count' or 'bailingmoe2.leading_dense_block_count' leaves no sparse layer; llama.cpp's bailingmoe2 needs experts");
        // llama.cpp's bailingmoe2: q/k norms always; each shared expert expert_shared_feed_forward_length (else the experts') wide.
        var shared = p.Int("expert_shared_count", 0) * p.Int("expert_shared_feed_forward_length", moe.ExpertFeedForward);
        return o with { LayerCount = layers, QkNorm = true, Moe = moe with { SharedFeedForward = shared } };
    }
}
