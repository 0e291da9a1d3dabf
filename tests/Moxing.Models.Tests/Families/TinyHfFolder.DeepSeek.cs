using System.Text.Json.Nodes;

namespace Moxing.Models.Tests.Families;

// DeepSeek-V2 (V2-Lite's layout) and V3 checkpoints TinyHfFolder writes: multi-head latent attention and DeepSeek's experts.
public sealed partial class TinyHfFolder
{
    private const int DeepSeekExperts = 8, KvLoraRank = 32, QLoraRank = 24, RopeHeadDim = 8, NopeHeadDim = 16, ValueHeadDim = 16, DeepSeekExpertWidth = 32;

    private static bool IsDeepSeek(string modelType) => modelType is "deepseek_v2" or "deepseek_v3";

    // DeepSeek-V2-Lite's layout (no query rank, greedy softmax routing over 8 experts, two shared experts, yarn with its mscale of
    // 0.707) and DeepSeek-V3's (a query rank, sigmoid scores with a selection bias, 4 groups of which 2 are searched, renormalised
    // weights times 2.5, one shared expert, yarn with mscale 1): keys 24 wide, values 16, layer 0 dense.
    private static bool SetDeepSeekConfig(string modelType, JsonObject c)
    {
        if (!IsDeepSeek(modelType)) return false;
        var v3 = modelType == "deepseek_v3";
        c["num_key_value_heads"] = Heads;
        c["rms_norm_eps"] = 1e-6;
        c["hidden_act"] = "silu";
        c["attention_bias"] = false;
        c["q_lora_rank"] = v3 ? QLoraRank : null;
        c["kv_lora_rank"] = KvLoraRank;
        c["qk_rope_head_dim"] = RopeHeadDim;
        c["qk_nope_head_dim"] = NopeHeadDim;
        c["v_head_dim"] = ValueHeadDim;
        c["n_routed_experts"] = DeepSeekExperts;
        c["num_experts_per_tok"] = 2;
        c["moe_intermediate_size"] = DeepSeekExpertWidth;
        c["n_shared_experts"] = v3 ? 1 : 2;
        c["first_k_dense_replace"] = 1;
        c["moe_layer_freq"] = 1;
        c["topk_method"] = v3 ? "noaux_tc" : "greedy";
        c["scoring_func"] = v3 ? "sigmoid" : "softmax";
        c["n_group"] = v3 ? 4 : 1;
        c["topk_group"] = v3 ? 2 : 1;
        c["norm_topk_prob"] = v3;
        c["routed_scaling_factor"] = v3 ? 2.5 : 1.0;
        c["tie_word_embeddings"] = false;
        var mscale = v3 ? 1.0 : 0.707;
        c["rope_scaling"] = new JsonObject
        {
            ["type"] = "yarn",
            ["factor"] = 4.0,
            ["original_max_position_embeddings"] = 16,
            ["beta_fast"] = 32,
            ["beta_slow"] = 1,
            ["mscale"] = mscale,
            ["mscale_all_dim"] = mscale,
        };
        return true;
    }

    // DeepseekV2Attention / DeepseekV3Attention: q_proj, or q_a_proj, q_a_layernorm and q_b_proj; kv_a_proj_with_mqa (latent, then
    // the shared rotary key part), kv_a_layernorm, kv_b_proj (per head: unrotated key, value) and o_proj.
    private static void WriteLatentAttention(JsonObject c, string p, Action<string, float, float, long[]> add)
    {
        const int q = Heads * (NopeHeadDim + RopeHeadDim);
        void Linear(string name, long rows, long cols) => add(p + name + ".weight", 0f, 1.7f / MathF.Sqrt(cols), [rows, cols]);
        if (c["q_lora_rank"] is null) Linear("self_attn.q_proj", q, Hidden);
        else
        {
            Linear("self_attn.q_a_proj", QLoraRank, Hidden);
            add(p + "self_attn.q_a_layernorm.weight", 1f, 0.4f, [QLoraRank]);
            Linear("self_attn.q_b_proj", q, QLoraRank);
        }
        Linear("self_attn.kv_a_proj_with_mqa", KvLoraRank + RopeHeadDim, Hidden);
        add(p + "self_attn.kv_a_layernorm.weight", 1f, 0.4f, [KvLoraRank]);
        Linear("self_attn.kv_b_proj", Heads * (NopeHeadDim + ValueHeadDim), KvLoraRank);
        Linear("self_attn.o_proj", Hidden, Heads * ValueHeadDim);
    }

    // DeepseekV2Moe / DeepseekV3MoE (GLM-4.5's and dots.llm1's noaux_tc, Ling's BailingMoeSparseMoeBlock): the router `gate` (noaux_tc's
    // with its e_score_correction_bias, kept positive as trained ones are),
    // per expert gate/up/down projections, and shared_experts as one MLP of n_shared_experts (Ling's num_shared_experts) × moe_intermediate_size.
    private static void WriteDeepSeekMoe(JsonObject c, string p, Action<string, float, float, long[]> add)
    {
        add(p + "mlp.gate.weight", 0f, 1f, [DeepSeekExperts, Hidden]);
        // Ling 2.0 calls the selection bias the gate's expert_bias.
        if ((string?)c["topk_method"] == "noaux_tc" || IsRouted((string)c["model_type"]!))
            add(p + ((string?)c["model_type"] == "bailing_moe_v2" ? "mlp.gate.expert_bias" : "mlp.gate.e_score_correction_bias"), 0.1f, 0.1f, [DeepSeekExperts]);
        var shared = DeepSeekExpertWidth * (int)(c["n_shared_experts"] ?? c["num_shared_experts"])!;
        foreach (var (prefix, width) in Enumerable.Range(0, DeepSeekExperts).Select(e => ($"mlp.experts.{e}.", DeepSeekExpertWidth)).Append(("mlp.shared_experts.", shared)))
        {
            add(p + prefix + "gate_proj.weight", 0f, 1.7f / MathF.Sqrt(Hidden), [width, Hidden]);
            add(p + prefix + "up_proj.weight", 0f, 1.7f / MathF.Sqrt(Hidden), [width, Hidden]);
            add(p + prefix + "down_proj.weight", 0f, 1.7f / MathF.Sqrt(width), [Hidden, width]);
        }
    }
}
