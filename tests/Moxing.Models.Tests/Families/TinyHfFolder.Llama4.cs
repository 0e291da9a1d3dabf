using System.Text.Json.Nodes;

namespace Moxing.Models.Tests.Families;

// Llama 4's text model as TinyHfFolder writes it: Llama4TextConfig's keys at test scale, its fused transposed experts, and the
// multimodal llama4 checkpoint that nests it (text_config, language_model.* names, a vision tower to leave out).
public sealed partial class TinyHfFolder
{
    private const int Llama4ExpertFeedForward = 32;

    // Scout's layout on 4 layers (the 4th NoPE) with switches that bite at 13 tokens: chunks of 5, a temperature floor of 4 and
    // scale 0.5, llama3 RoPE scaling over 16 original positions; experts (top-2 of 4, 32 wide) in every layer.
    private static bool SetLlama4Config(string modelType, JsonObject c)
    {
        if (modelType is not ("llama4_text" or "llama4")) return false;
        c["model_type"] = "llama4_text";
        c["head_dim"] = HeadDim;
        c["intermediate_size"] = Llama4ExpertFeedForward;
        c["intermediate_size_mlp"] = 96;
        c["rms_norm_eps"] = 1e-5;
        c["rope_theta"] = 500000.0;
        c["rope_scaling"] = new JsonObject
        {
            ["rope_type"] = "llama3",
            ["factor"] = 8.0,
            ["low_freq_factor"] = 1.0,
            ["high_freq_factor"] = 4.0,
            ["original_max_position_embeddings"] = 16,
        };
        c["hidden_act"] = "silu";
        c["num_local_experts"] = Experts;
        c["num_experts_per_tok"] = ExpertsUsed;
        c["interleave_moe_layer_step"] = 1;
        c["no_rope_layer_interval"] = 4;
        c["use_qk_norm"] = true;
        c["attention_chunk_size"] = 5;
        c["attn_temperature_tuning"] = true;
        c["floor_scale"] = 4;
        c["attn_scale"] = 0.5;
        c["tie_word_embeddings"] = false;
        return true;
    }

    // The config.json of a llama4 checkpoint: the text config under text_config, beside a vision config; llama4_text's is its own.
    private static JsonObject Llama4Wrapped(string modelType, JsonObject text) => modelType != "llama4" ? text : new JsonObject
    {
        ["model_type"] = "llama4",
        ["text_config"] = text.DeepClone(),
        ["vision_config"] = new JsonObject { ["model_type"] = "llama4_vision_model", ["hidden_size"] = 8 },
    };

    // Llama4TextDecoderLayer: experts in layer l when l is in moe_layers, else (l + 1) % interleave_moe_layer_step == 0 (a step
    // below 1, which the loader refuses, is written as 1).
    internal static bool Llama4Sparse(JsonObject c, int l) =>
        c["moe_layers"] is JsonArray listed ? listed.Any(v => (int)v! == l) : (l + 1) % Math.Max((int)c["interleave_moe_layer_step"]!, 1) == 0;

    // Llama4TextMoe: router [experts, hidden], experts.gate_up_proj [E, hidden, 2·ff] and down_proj [E, ff, hidden] (no .weight),
    // shared_expert as wide as an expert; Llama4TextMLP of intermediate_size_mlp in the other layers.
    private static void WriteLlama4FeedForward(JsonObject c, string p, int l, Action<string, float, float, long[]> add)
    {
        var (sparse, ff) = (Llama4Sparse(c, l), (int)c[Llama4Sparse(c, l) ? "intermediate_size" : "intermediate_size_mlp"]!);
        var prefix = p + (sparse ? "feed_forward.shared_expert." : "feed_forward.");
        add(prefix + "gate_proj.weight", 0f, 1.7f / MathF.Sqrt(Hidden), [ff, Hidden]);
        add(prefix + "up_proj.weight", 0f, 1.7f / MathF.Sqrt(Hidden), [ff, Hidden]);
        add(prefix + "down_proj.weight", 0f, 1.7f / MathF.Sqrt(ff), [Hidden, ff]);
        if (!sparse) return;
        add(p + "feed_forward.router.weight", 0f, 1f, [Experts, Hidden]);
        add(p + "feed_forward.experts.gate_up_proj", 0f, 1.7f / MathF.Sqrt(Hidden), [Experts, Hidden, 2 * ff]);
        add(p + "feed_forward.experts.down_proj", 0f, 1.7f / MathF.Sqrt(ff), [Experts, ff, Hidden]);
    }
}
