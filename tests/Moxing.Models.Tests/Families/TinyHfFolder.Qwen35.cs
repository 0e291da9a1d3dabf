using System.Text.Json.Nodes;

namespace Moxing.Models.Tests.Families;

// Qwen3-Next and Qwen3.5 as transformers names and shapes them: Gated DeltaNet layers around a gated attention layer, 2 key heads of
// 16 and 4 value heads of 8 (so value heads share key heads, and key and value dims differ), 4 taps; head_dim 16 of which half
// rotates; RMSNorm weights as offsets from 1 (the gated norm's as themselves). Qwen3-Next's fused in_proj_qkvz / in_proj_ba and
// experts per name with a gated shared expert; Qwen3.5's projections apart, its text model nested under model.language_model with
// a vision tower and multi-token-prediction weights beside it; Qwen3.5-MoE's experts as fused gate_up_proj / down_proj stacks.
public sealed partial class TinyHfFolder
{
    /// <summary>The tiny Qwen3-Next's / Qwen3.5's layer_types.</summary>
    internal static readonly string[] Qwen35Layers = ["linear_attention", "full_attention", "linear_attention"];

    private const int DeltaKeyHeads = 2, DeltaValueHeads = 4, DeltaKeyDim = 16, DeltaValueDim = 8;

    private static bool IsQwen35(string modelType) => modelType is "qwen3_next" or "qwen3_5" or "qwen3_5_moe";

    private static void Qwen35Config(JsonObject c)
    {
        c["head_dim"] = HeadDim;
        c["rms_norm_eps"] = 1e-6;
        c["partial_rotary_factor"] = 0.5;
        c["tie_word_embeddings"] = false;
        c["layer_types"] = new JsonArray([.. Qwen35Layers.Select(t => JsonValue.Create(t))]);
        c["linear_num_key_heads"] = DeltaKeyHeads;
        c["linear_num_value_heads"] = DeltaValueHeads;
        c["linear_key_head_dim"] = DeltaKeyDim;
        c["linear_value_head_dim"] = DeltaValueDim;
        c["linear_conv_kernel_dim"] = 4;
        c["hidden_act"] = "silu";
        if ((string)c["model_type"]! == "qwen3_5") return;
        c["num_experts"] = Experts;
        c["num_experts_per_tok"] = ExpertsUsed;
        c["moe_intermediate_size"] = 32;
        c["shared_expert_intermediate_size"] = 48;
        c["norm_topk_prob"] = true;
    }

    // Qwen3_5ForConditionalGeneration's config: the text model's under text_config.
    private static JsonObject Qwen35Wrapped(string modelType, JsonObject text)
    {
        if (modelType == "qwen3_next") return text;
        var inner = JsonNode.Parse(text.ToJsonString())!.AsObject();
        inner["model_type"] = modelType + "_text";
        return new JsonObject { ["model_type"] = modelType, ["text_config"] = inner, ["vision_config"] = new JsonObject { ["depth"] = 1 } };
    }

    private static void WriteQwen35(JsonObject c, Action<string, float, float, long[]> add, Action<string, long, long, bool> linear)
    {
        var type = (string)c["model_type"]!;
        var next = type == "qwen3_next";
        // The text model of a Qwen3.5 checkpoint lives under model.language_model.
        var m = next ? "model." : "model.language_model.";
        const int keyDim = DeltaKeyHeads * DeltaKeyDim, valueDim = DeltaValueHeads * DeltaValueDim;
        // Qwen3NextRMSNorm multiplies by 1 + w.
        void Norm(string name, long size) => add(name + ".weight", 0f, 0.4f, [size]);
        add(m + "embed_tokens.weight", 0f, 1f, [Vocab, Hidden]);
        for (var l = 0; l < Qwen35Layers.Length; l++)
        {
            var p = $"{m}layers.{l}.";
            Norm(p + "input_layernorm", Hidden);
            if (Qwen35Layers[l] == "linear_attention")
            {
                var a = p + "linear_attn.";
                if (next)
                {
                    linear(a + "in_proj_qkvz", 2 * keyDim + 2 * valueDim, Hidden, false);
                    linear(a + "in_proj_ba", 2 * DeltaValueHeads, Hidden, false);
                }
                else
                {
                    linear(a + "in_proj_qkv", 2 * keyDim + valueDim, Hidden, false);
                    linear(a + "in_proj_z", valueDim, Hidden, false);
                    linear(a + "in_proj_b", DeltaValueHeads, Hidden, false);
                    linear(a + "in_proj_a", DeltaValueHeads, Hidden, false);
                }
                add(a + "conv1d.weight", 0f, 0.5f, [2 * keyDim + valueDim, 1, 4]);
                // dt_bias around −1 and A_log around 0: decays of order 0.7 per token, so the state remembers.
                add(a + "dt_bias", -1f, 0.5f, [DeltaValueHeads]);
                add(a + "A_log", 0f, 0.5f, [DeltaValueHeads]);
                add(a + "norm.weight", 1f, 0.4f, [DeltaValueDim]);
                linear(a + "out_proj", Hidden, valueDim, false);
            }
            else
            {
                linear(p + "self_attn.q_proj", 2 * Heads * HeadDim, Hidden, false);
                linear(p + "self_attn.k_proj", KvHeads * HeadDim, Hidden, false);
                linear(p + "self_attn.v_proj", KvHeads * HeadDim, Hidden, false);
                linear(p + "self_attn.o_proj", Hidden, Heads * HeadDim, false);
                Norm(p + "self_attn.q_norm", HeadDim);
                Norm(p + "self_attn.k_norm", HeadDim);
            }
            Norm(p + "post_attention_layernorm", Hidden);
            if (type == "qwen3_5")
            {
                linear(p + "mlp.gate_proj", 96, Hidden, false);
                linear(p + "mlp.up_proj", 96, Hidden, false);
                linear(p + "mlp.down_proj", Hidden, 96, false);
                continue;
            }
            add(p + "mlp.gate.weight", 0f, 1f, [Experts, Hidden]);
            if (next)
                for (var e = 0; e < Experts; e++)
                {
                    linear(p + $"mlp.experts.{e}.gate_proj", 32, Hidden, false);
                    linear(p + $"mlp.experts.{e}.up_proj", 32, Hidden, false);
                    linear(p + $"mlp.experts.{e}.down_proj", Hidden, 32, false);
                }
            else
            {
                add(p + "mlp.experts.gate_up_proj", 0f, 1.7f / MathF.Sqrt(Hidden), [Experts, 64, Hidden]);
                add(p + "mlp.experts.down_proj", 0f, 1.7f / MathF.Sqrt(32), [Experts, Hidden, 32]);
            }
            linear(p + "mlp.shared_expert.gate_proj", 48, Hidden, false);
            linear(p + "mlp.shared_expert.up_proj", 48, Hidden, false);
            linear(p + "mlp.shared_expert.down_proj", Hidden, 48, false);
            linear(p + "mlp.shared_expert_gate", 1, Hidden, false);
        }
        Norm(m + "norm", Hidden);
        linear("lm_head", Vocab, Hidden, false);
        // The multi-token-prediction block and (Qwen3.5) the vision tower, which the text model leaves out.
        linear("mtp.fc", Hidden, 2 * Hidden, false);
        if (!next) linear("model.visual.blocks.0.attn.qkv", 24, 8, true);
    }
}
