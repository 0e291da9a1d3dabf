using System.Text.Json.Nodes;

namespace Moxing.Models.Tests.Families;

// GLM-4.5 and dots.llm1 checkpoints TinyHfFolder writes: ordinary attention (GLM's biases, partial rotation and optional q/k norms,
// dots' Qwen 3 q/k norms) over DeepseekV3's experts (WriteDeepSeekMoe), GLM-4.5's next-token-prediction layer after its own.
public sealed partial class TinyHfFolder
{
    // The DeepSeek-style experts with a selection bias over ordinary attention.
    private static bool IsRouted(string modelType) => modelType is "glm4_moe" or "dots1" or "bailing_moe_v2";

    // Ling-lite's layout on 2 layers: fused query_key_value, 8 experts top-2 of 32 channels renormalised and two shared experts in
    // every layer (first_k_dense_replace 0), a normalised untied head (norm_head).
    // Ling-mini-2.0's on 2 layers: the same attention with q/k norms and half of each head rotated, layer 0 dense, then 8 experts
    // top-2 in 4 groups of which 2 are searched, sigmoid with the gate's expert_bias, renormalised × 2.5, one shared expert; a nextn
    // layer; no normalised head.
    private static bool SetBailingConfig(string modelType, JsonObject c)
    {
        if (modelType is not ("bailing_moe" or "bailing_moe_v2")) return false;
        var v2 = modelType == "bailing_moe_v2";
        c["head_dim"] = HeadDim;
        c["rms_norm_eps"] = 1e-6;
        c["rope_theta"] = 600000.0;
        c["hidden_act"] = "silu";
        c["num_experts"] = DeepSeekExperts;
        c["num_experts_per_tok"] = 2;
        c["moe_intermediate_size"] = DeepSeekExpertWidth;
        c["num_shared_experts"] = v2 ? 1 : 2;
        c["first_k_dense_replace"] = v2 ? 1 : 0;
        c["norm_topk_prob"] = true;
        c["use_qkv_bias"] = false;
        c["use_bias"] = false;
        c["norm_head"] = !v2;
        c["tie_word_embeddings"] = false;
        if (!v2) return true;
        c["partial_rotary_factor"] = 0.5;
        c["use_qk_norm"] = true;
        c["n_group"] = 4;
        c["topk_group"] = 2;
        c["routed_scaling_factor"] = 2.5;
        c["score_function"] = "sigmoid";
        c["num_nextn_predict_layers"] = 1;
        return true;
    }

    // GLM-4.5's layout on 2 layers (layer 0 dense): 8 experts top-2 of 32 channels in 4 groups of which 2 are searched, sigmoid with a
    // selection bias, renormalised × 2.5, one shared expert; half of each head rotated, q/k/v biases, q/k norms (GLM-4.5's use_qk_norm),
    // one nextn layer. dots.llm1's: Qwen 3's attention with a key/value head per query head, no groups, two shared experts, 62 full layers' max_window_layers.
    private static bool SetRoutedConfig(string modelType, JsonObject c)
    {
        if (modelType is not ("glm4_moe" or "dots1")) return false;
        var glm = modelType == "glm4_moe";
        c["head_dim"] = HeadDim;
        c["rms_norm_eps"] = 1e-5;
        c["hidden_act"] = "silu";
        c["n_routed_experts"] = DeepSeekExperts;
        c["num_experts_per_tok"] = 2;
        c["moe_intermediate_size"] = DeepSeekExpertWidth;
        c["n_shared_experts"] = glm ? 1 : 2;
        c["first_k_dense_replace"] = 1;
        c["n_group"] = glm ? 4 : 1;
        c["topk_group"] = glm ? 2 : 1;
        c["norm_topk_prob"] = true;
        c["routed_scaling_factor"] = 2.5;
        c["tie_word_embeddings"] = false;
        if (glm)
        {
            c["partial_rotary_factor"] = 0.5;
            c["attention_bias"] = true;
            c["use_qk_norm"] = true;
            c["num_nextn_predict_layers"] = 1;
        }
        else
        {
            // dots.llm1 has a key/value head per query head (llama.cpp's dots1 knows no other layout).
            c["num_key_value_heads"] = Heads;
            c["attention_bias"] = false;
            c["sliding_window"] = 4096;
            c["max_window_layers"] = 62;
        }
        return true;
    }

    // Glm4MoeModel's checkpoints store the next-token-prediction layer as model.layers.{num_hidden_layers}: its own projections and
    // norms beside a layer's; transformers and the engine leave it out.
    private static void WriteNextNLayer(JsonObject c, Action<string, float, float, long[]> add)
    {
        var p = $"model.layers.{(int)c["num_hidden_layers"]!}.";
        add(p + "eh_proj.weight", 0f, 0.1f, [Hidden, 2 * Hidden]);
        add(p + "enorm.weight", 1f, 0.4f, [Hidden]);
        add(p + "hnorm.weight", 1f, 0.4f, [Hidden]);
        add(p + "shared_head.norm.weight", 1f, 0.4f, [Hidden]);
        add(p + "input_layernorm.weight", 1f, 0.4f, [Hidden]);
        add(p + "self_attn.q_proj.weight", 0f, 0.1f, [Heads * HeadDim, Hidden]);
    }
}
