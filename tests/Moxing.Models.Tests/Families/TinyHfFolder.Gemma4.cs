using System.Text.Json.Nodes;

namespace Moxing.Models.Tests.Families;

// Gemma 4 as Gemma4ForCausalLM names and shapes it (gemma4_text), or Gemma4ForConditionalGeneration under model.language_model.*
// beside a vision tower (gemma4): two sliding layers, a full one (wider heads, keys as values on one head), again, the last two
// sharing the keys and values of layers 3 and 2 with double-wide MLPs, per-layer inputs of 8, a scalar per layer.
public sealed partial class TinyHfFolder
{
    /// <summary>The tiny Gemma 4's layer_types.</summary>
    internal static readonly string[] Gemma4Layers = ["sliding_attention", "sliding_attention", "full_attention", "sliding_attention", "sliding_attention", "full_attention"];

    private static void Gemma4Config(JsonObject c)
    {
        c["head_dim"] = HeadDim;
        c["global_head_dim"] = 2 * HeadDim;
        c["rms_norm_eps"] = 1e-6;
        c["sliding_window"] = 4;
        c["layer_types"] = new JsonArray([.. Gemma4Layers.Select(t => JsonValue.Create(t))]);
        c["num_kv_shared_layers"] = 2;
        c["attention_k_eq_v"] = true;
        c["num_global_key_value_heads"] = 1;
        c["hidden_size_per_layer_input"] = 8;
        c["vocab_size_per_layer_input"] = Vocab;
        c["use_double_wide_mlp"] = true;
        c["final_logit_softcapping"] = 10.0;
        c["hidden_activation"] = "gelu_pytorch_tanh";
        c["tie_word_embeddings"] = true;
        c["rope_parameters"] = new JsonObject
        {
            ["full_attention"] = new JsonObject { ["rope_type"] = "proportional", ["partial_rotary_factor"] = 0.25, ["rope_theta"] = 10000.0 },
            ["sliding_attention"] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = 10000.0 },
        };
        c.Remove("rope_theta");
    }

    /// <summary>
    /// Makes a tiny Gemma 4 config the 26B-A4B's kind (enable_moe_block): 4 GeGLU experts of 32, 2 per token, beside every layer's
    /// MLP (one width: no double-wide MLPs).
    /// </summary>
    internal static void Gemma4Experts(JsonObject c)
    {
        c["enable_moe_block"] = true;
        c["num_experts"] = 4;
        c["top_k_experts"] = 2;
        c["moe_intermediate_size"] = 32;
        c["use_double_wide_mlp"] = false;
    }

    // Gemma4ForConditionalGeneration's config: the text model's under text_config.
    private static JsonObject Gemma4Wrapped(JsonObject text)
    {
        var inner = text.DeepClone().AsObject();
        inner["model_type"] = "gemma4_text";
        return new JsonObject
        {
            ["model_type"] = "gemma4",
            ["text_config"] = inner,
            ["vision_config"] = new JsonObject { ["model_type"] = "gemma4_vision", ["hidden_size"] = 8 },
        };
    }

    private static void WriteGemma4(JsonObject c, Action<string, float, float, long[]> add, Action<string, long> norm, Action<string, long, long, bool> linear)
    {
        var layers = Gemma4Layers.Length;
        var shared = (int)c["num_kv_shared_layers"]!;
        int perLayer = (int?)c["hidden_size_per_layer_input"] ?? 0, fullHeadDim = (int)c["global_head_dim"]!, ff = (int)c["intermediate_size"]!;
        var keysAsValues = (bool?)c["attention_k_eq_v"] == true;
        add("model.embed_tokens.weight", 0f, 0.15f, [Vocab, Hidden]);
        if (perLayer > 0)
        {
            add("model.embed_tokens_per_layer.weight", 0f, 0.5f, [Vocab, layers * perLayer]);
            linear("model.per_layer_model_projection", layers * perLayer, Hidden, false);
            norm("model.per_layer_projection_norm", perLayer);
        }
        for (var l = 0; l < layers; l++)
        {
            var p = $"model.layers.{l}.";
            var full = Gemma4Layers[l] == "full_attention";
            var hd = full ? fullHeadDim : HeadDim;
            var kvHeads = full && keysAsValues ? (int)c["num_global_key_value_heads"]! : KvHeads;
            norm(p + "input_layernorm", Hidden);
            linear(p + "self_attn.q_proj", Heads * hd, Hidden, false);
            norm(p + "self_attn.q_norm", hd);
            if (l < layers - shared)
            {
                linear(p + "self_attn.k_proj", kvHeads * hd, Hidden, false);
                norm(p + "self_attn.k_norm", hd);
                if (!(full && keysAsValues)) linear(p + "self_attn.v_proj", kvHeads * hd, Hidden, false);
            }
            linear(p + "self_attn.o_proj", Hidden, Heads * hd, false);
            norm(p + "post_attention_layernorm", Hidden);
            norm(p + "pre_feedforward_layernorm", Hidden);
            var width = (bool?)c["use_double_wide_mlp"] == true && l >= layers - shared ? 2 * ff : ff;
            linear(p + "mlp.gate_proj", width, Hidden, false);
            linear(p + "mlp.up_proj", width, Hidden, false);
            linear(p + "mlp.down_proj", Hidden, width, false);
            norm(p + "post_feedforward_layernorm", Hidden);
            if ((bool?)c["enable_moe_block"] == true) WriteGemma4Experts(c, p, add, norm);
            if (perLayer > 0)
            {
                linear(p + "per_layer_input_gate", perLayer, Hidden, false);
                linear(p + "per_layer_projection", Hidden, perLayer, false);
                norm(p + "post_per_layer_input_norm", Hidden);
            }
            add(p + "layer_scalar", 1f, 0.5f, [1]);
        }
        norm("model.norm", Hidden);
    }

    // Gemma4TextRouter (proj, a scale per channel and per expert, far from 1), Gemma4TextExperts' gate_up_proj [E, 2·ff, hidden] and
    // down_proj [E, hidden, ff], the norms before the experts and after each branch. The router's weights are wide enough that
    // its logits, read through 1/√hidden, choose clearly.
    private static void WriteGemma4Experts(JsonObject c, string p, Action<string, float, float, long[]> add, Action<string, long> norm)
    {
        int experts = (int)c["num_experts"]!, ff = (int)c["moe_intermediate_size"]!;
        add(p + "router.proj.weight", 0f, 3f, [experts, Hidden]);
        add(p + "router.scale", 1f, 0.4f, [Hidden]);
        add(p + "router.per_expert_scale", 1f, 0.4f, [experts]);
        add(p + "experts.gate_up_proj", 0f, 1.7f / MathF.Sqrt(Hidden), [experts, 2 * ff, Hidden]);
        add(p + "experts.down_proj", 0f, 1.7f / MathF.Sqrt(ff), [experts, Hidden, ff]);
        norm(p + "pre_feedforward_layernorm_2", Hidden);
        norm(p + "post_feedforward_layernorm_1", Hidden);
        norm(p + "post_feedforward_layernorm_2", Hidden);
    }
}
