using System.Text.Json.Nodes;

namespace Moxing.Models.Tests.Families;

// The mixtures of experts TinyHfFolder writes: their configs and their sparse blocks, as transformers names and shapes them.
public sealed partial class TinyHfFolder
{
    private const int Experts = 4, ExpertsUsed = 2, SharedFeedForward = 80, ErnieExpertFeedForward = 32;

    // Granite MoE: granite-3.x's multipliers, 4 experts top-2 as wide as intermediate_size; granitemoeshared's shared MLP. Phi-3.5-MoE.
    private static bool SetMoeConfig(string modelType, JsonObject c)
    {
        switch (modelType)
        {
            case "granitemoe" or "granitemoeshared":
                c["rms_norm_eps"] = 1e-6;
                c["embedding_multiplier"] = 12.0;
                c["residual_multiplier"] = 0.22;
                c["attention_multiplier"] = 0.03;
                c["logits_scaling"] = 6.0;
                c["num_local_experts"] = Experts;
                c["num_experts_per_tok"] = ExpertsUsed;
                if (modelType == "granitemoeshared") c["shared_intermediate_size"] = SharedFeedForward;
                c["tie_word_embeddings"] = true;
                return true;
            case "phimoe":
                // Phi-3.5-MoE: LayerNorms (eps under rms_norm_eps), q/k/v/o and head biases, sparsemixer top-2, LongRoPE with
                // mscale; an original context of 4 so the 13-token prompt takes the long factors in both engines.
                c["rms_norm_eps"] = 1e-5;
                c["attention_bias"] = true;
                c["lm_head_bias"] = true;
                c["num_local_experts"] = Experts;
                c["num_experts_per_tok"] = ExpertsUsed;
                c["router_jitter_noise"] = 0.01;
                c["tie_word_embeddings"] = false;
                c["rope_scaling"] = new JsonObject
                {
                    ["type"] = "longrope",
                    ["short_factor"] = new JsonArray([.. Enumerable.Range(0, HeadDim / 2).Select(i => JsonValue.Create(1.0 + 0.05 * i))]),
                    ["long_factor"] = new JsonArray([.. Enumerable.Range(0, HeadDim / 2).Select(i => JsonValue.Create(1.0 + 0.9 * i))]),
                    ["short_mscale"] = 1.243163121016122,
                    ["long_mscale"] = 1.243163121016122,
                    ["original_max_position_embeddings"] = 4,
                };
                return true;
            case "ernie4_5_moe":
                // ERNIE-4.5-21B-A3B's layout on 2 layers: layer 0 dense (moe_layer_start_index 1), 4 experts top-2 of 32 channels,
                // two shared experts (one MLP of 64), interleaved RoPE, a tied head.
                c["head_dim"] = HeadDim;
                c["rms_norm_eps"] = 1e-5;
                c["rope_theta"] = 500000.0;
                c["hidden_act"] = "silu";
                c["use_bias"] = false;
                c["moe_num_experts"] = Experts;
                c["moe_k"] = ExpertsUsed;
                c["moe_intermediate_size"] = ErnieExpertFeedForward;
                c["moe_num_shared_experts"] = 2;
                c["moe_layer_start_index"] = 1;
                c["moe_layer_end_index"] = -1;
                c["moe_layer_interval"] = 1;
                c["tie_word_embeddings"] = true;
                return true;
            case "hunyuan_v1_moe":
                // Hunyuan-A13B's layout: Hunyuan dense's attention (q/k norms after RoPE, NTK-alpha RoPE), 4 experts top-2 and a
                // shared MLP, all intermediate_size wide, counts given per layer as its config gives them; a tied head.
                c["head_dim"] = HeadDim;
                c["rms_norm_eps"] = 1e-5;
                c["rope_scaling"] = new JsonObject { ["type"] = "dynamic", ["alpha"] = 1000.0, ["factor"] = 1.0 };
                c["attention_bias"] = false;
                c["hidden_act"] = "silu";
                c["num_experts"] = Experts;
                c["moe_topk"] = new JsonArray(ExpertsUsed, ExpertsUsed);
                c["num_shared_expert"] = new JsonArray(1, 1);
                c["moe_intermediate_size"] = new JsonArray(96, 96);
                c["use_mixed_mlp_moe"] = true;
                c["tie_word_embeddings"] = true;
                return true;
            default:
                return false;
        }
    }

    // GraniteMoeMoE: a router, input_linear [experts, 2·ff, hidden] (gate rows, then up rows), output_linear [experts, hidden, ff];
    // GraniteMoeSharedMLP: input_linear [2·shared, hidden], output_linear [hidden, shared].
    private static void WriteGraniteMoe(JsonObject c, string p, Action<string, float, float, long[]> add)
    {
        var ff = (int)c["intermediate_size"]!;
        add(p + "block_sparse_moe.router.layer.weight", 0f, 1f, [Experts, Hidden]);
        add(p + "block_sparse_moe.input_linear.weight", 0f, 1.7f / MathF.Sqrt(Hidden), [Experts, 2 * ff, Hidden]);
        add(p + "block_sparse_moe.output_linear.weight", 0f, 1.7f / MathF.Sqrt(ff), [Experts, Hidden, ff]);
        if (c["shared_intermediate_size"] is not { } shared) return;
        add(p + "shared_mlp.input_linear.weight", 0f, 1.7f / MathF.Sqrt(Hidden), [2 * (int)shared, Hidden]);
        add(p + "shared_mlp.output_linear.weight", 0f, 1.7f / MathF.Sqrt((int)shared), [Hidden, (int)shared]);
    }

    // Ernie4_5_MoeDecoderLayer: experts where (l + 1) % moe_layer_interval == 0 and start ≤ l ≤ end (−1: the last layer).
    private static bool ErnieSparse(JsonObject c, int l)
    {
        var end = (int)c["moe_layer_end_index"]! is var e && e == -1 ? (int)c["num_hidden_layers"]! - 1 : e;
        return (l + 1) % (int)c["moe_layer_interval"]! == 0 && l >= (int)c["moe_layer_start_index"]! && l <= end;
    }

    // Ernie4_5_MoeSparseMoeBlock: a router `gate`, moe_statics' e_score_correction_bias [1, experts] (spread so it changes which
    // experts are chosen), per expert gate/up/down projections, and shared_experts as one MLP of moe_num_shared_experts × ff.
    private static void WriteErnieMoe(JsonObject c, string p, Action<string, float, float, long[]> add)
    {
        var ff = (int)c["moe_intermediate_size"]!;
        var shared = ff * (int)c["moe_num_shared_experts"]!;
        add(p + "mlp.gate.weight", 0f, 1f, [Experts, Hidden]);
        add(p + "mlp.moe_statics.e_score_correction_bias", 0f, 0.3f, [1, Experts]);
        foreach (var (prefix, width) in Enumerable.Range(0, Experts).Select(e => ($"mlp.experts.{e}.", ff)).Append(("mlp.shared_experts.", shared)))
        {
            if (width == 0) continue;
            add(p + prefix + "gate_proj.weight", 0f, 1.7f / MathF.Sqrt(Hidden), [width, Hidden]);
            add(p + prefix + "up_proj.weight", 0f, 1.7f / MathF.Sqrt(Hidden), [width, Hidden]);
            add(p + prefix + "down_proj.weight", 0f, 1.7f / MathF.Sqrt(width), [Hidden, width]);
        }
    }

    // HunYuanMoEV1Moe: a router gate.wg, per expert and for shared_mlp gate/up/down projections of intermediate_size.
    private static void WriteHunyuanMoe(JsonObject c, string p, Action<string, float, float, long[]> add)
    {
        var ff = (int)c["intermediate_size"]!;
        add(p + "mlp.gate.wg.weight", 0f, 1f, [Experts, Hidden]);
        foreach (var prefix in Enumerable.Range(0, Experts).Select(e => $"mlp.experts.{e}.").Append("mlp.shared_mlp."))
        {
            add(p + prefix + "gate_proj.weight", 0f, 1.7f / MathF.Sqrt(Hidden), [ff, Hidden]);
            add(p + prefix + "up_proj.weight", 0f, 1.7f / MathF.Sqrt(Hidden), [ff, Hidden]);
            add(p + prefix + "down_proj.weight", 0f, 1.7f / MathF.Sqrt(ff), [Hidden, ff]);
        }
    }

    // Mixtral's sparse block (Phi-3.5-MoE's too): a router `gate` and per expert w1 (gate), w3 (up), w2 (down).
    private static void WriteMixtralExperts(JsonObject c, string p, Action<string, float, float, long[]> add)
    {
        var ff = (int)c["intermediate_size"]!;
        add(p + "gate.weight", 0f, 1f, [Experts, Hidden]);
        for (var e = 0; e < Experts; e++)
        {
            add(p + $"experts.{e}.w1.weight", 0f, 1.7f / MathF.Sqrt(Hidden), [ff, Hidden]);
            add(p + $"experts.{e}.w2.weight", 0f, 1.7f / MathF.Sqrt(ff), [Hidden, ff]);
            add(p + $"experts.{e}.w3.weight", 0f, 1.7f / MathF.Sqrt(Hidden), [ff, Hidden]);
        }
    }
}
