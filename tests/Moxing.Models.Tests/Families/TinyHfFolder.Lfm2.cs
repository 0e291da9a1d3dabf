using System.Text.Json.Nodes;

namespace Moxing.Models.Tests.Families;

// LFM2 as Lfm2ForCausalLM names and shapes it: convolution layers first and between the attention ones, the MLP width from
// block_ff_dim through block_auto_adjust_ff_dim (144 → 96 → ×1.25 = 120 → 128 at block_multiple_of 16), tied embeddings.
public sealed partial class TinyHfFolder
{
    /// <summary>The tiny LFM2's layer_types.</summary>
    internal static readonly string[] Lfm2Layers = ["conv", "full_attention", "conv", "conv", "full_attention"];

    /// <summary>The MLP width Lfm2MLP computes from the tiny config.</summary>
    internal const int Lfm2FeedForward = 128;

    private static void Lfm2Config(JsonObject c)
    {
        c["norm_eps"] = 1e-5;
        c["rope_theta"] = 1000000.0;
        c["conv_L_cache"] = 3;
        c["conv_bias"] = false;
        c["block_ff_dim"] = 144;
        c["block_auto_adjust_ff_dim"] = true;
        c["block_ffn_dim_multiplier"] = 1.25;
        c["block_multiple_of"] = 16;
        c["tie_word_embeddings"] = true;
        c["layer_types"] = new JsonArray([.. Lfm2Layers.Select(t => JsonValue.Create(t))]);
    }

    // LFM2-8B-A1B's layout on LFM2's layers: the first layer dense (num_dense_layers 1) with an MLP of intermediate_size, then 8
    // experts of 32 channels, 2 chosen by sigmoid scores plus the expert_bias, renormalised, unscaled.
    private static void Lfm2MoeConfig(JsonObject c)
    {
        Lfm2Config(c);
        foreach (var key in new[] { "block_ff_dim", "block_auto_adjust_ff_dim", "block_ffn_dim_multiplier", "block_multiple_of" }) c.Remove(key);
        c["moe_intermediate_size"] = DeepSeekExpertWidth;
        c["num_experts"] = DeepSeekExperts;
        c["num_experts_per_tok"] = 2;
        c["num_dense_layers"] = 1;
        c["use_expert_bias"] = true;
        c["norm_topk_prob"] = true;
        c["routed_scaling_factor"] = 1.0;
    }

    private static void WriteLfm2(JsonObject c, Action<string, float, float, long[]> add, Action<string, long> norm, Action<string, long, long, bool> linear)
    {
        var bias = (bool?)c["conv_bias"] == true;
        var moe = (string?)c["model_type"] == "lfm2_moe";
        int taps = (int)c["conv_L_cache"]!, ff = moe ? (int)c["intermediate_size"]! : Lfm2FeedForward;
        add("model.embed_tokens.weight", 0f, 1f, [Vocab, Hidden]);
        for (var l = 0; l < Lfm2Layers.Length; l++)
        {
            var p = $"model.layers.{l}.";
            norm(p + "operator_norm", Hidden);
            if (Lfm2Layers[l] == "conv")
            {
                linear(p + "conv.in_proj", 3 * Hidden, Hidden, bias);
                // nn.Conv1d(groups = channels): [channels, 1, taps]; taps of order one so each input's share shows.
                add(p + "conv.conv.weight", 0f, 0.8f, [Hidden, 1, taps]);
                if (bias) add(p + "conv.conv.bias", 0f, 0.2f, [Hidden]);
                linear(p + "conv.out_proj", Hidden, Hidden, bias);
            }
            else
            {
                linear(p + "self_attn.q_proj", Heads * HeadDim, Hidden, false);
                linear(p + "self_attn.k_proj", KvHeads * HeadDim, Hidden, false);
                linear(p + "self_attn.v_proj", KvHeads * HeadDim, Hidden, false);
                linear(p + "self_attn.out_proj", Hidden, Heads * HeadDim, false);
                norm(p + "self_attn.q_layernorm", HeadDim);
                norm(p + "self_attn.k_layernorm", HeadDim);
            }
            norm(p + "ffn_norm", Hidden);
            if (moe && l >= (int)c["num_dense_layers"]!)
            {
                WriteLfm2Experts(c, p + "feed_forward.", add, linear);
                continue;
            }
            linear(p + "feed_forward.w1", ff, Hidden, false);
            linear(p + "feed_forward.w3", ff, Hidden, false);
            linear(p + "feed_forward.w2", Hidden, ff, false);
        }
        norm("model.embedding_norm", Hidden);
    }

    // Lfm2MoeSparseMoeBlock: the router (gate), the expert_bias buffer when use_expert_bias (of the order of the sigmoid scores'
    // spread, so it changes the choice), and each expert's w1/w3/w2.
    private static void WriteLfm2Experts(JsonObject c, string p, Action<string, float, float, long[]> add, Action<string, long, long, bool> linear)
    {
        int experts = (int)c["num_experts"]!, width = (int)c["moe_intermediate_size"]!;
        add(p + "gate.weight", 0f, 0.6f, [experts, Hidden]);
        if ((bool?)c["use_expert_bias"] == true) add(p + "expert_bias", 0f, 0.3f, [experts]);
        for (var e = 0; e < experts; e++)
        {
            linear($"{p}experts.{e}.w1", width, Hidden, false);
            linear($"{p}experts.{e}.w3", width, Hidden, false);
            linear($"{p}experts.{e}.w2", Hidden, width, false);
        }
    }
}
