using System.Text.Json.Nodes;

namespace Moxing.Models.Tests.Families;

// GPT-NeoX, BLOOM, MPT and GPT-BigCode as their transformers classes name and shape them, each under its own config keys (sizes read
// back from the config, so an edit may change the head count): GPT-NeoX's per-head query_key_value with biases and a quarter of each
// head rotated, parallel residuals, an untied embed_out and an old checkpoint's masked_bias buffer; BLOOM's bare names (as
// bigscience's checkpoints store them), embedding LayerNorm and per-head query_key_value; MPT's bias-free blocks with clip_qkv 1
// (which bites on these weights); GPT-BigCode's learned positions and multi-query c_attn (per head [q, k, v] without multi_query).
public sealed partial class TinyHfFolder
{
    private static bool IsClassic(string modelType) => modelType is "gpt_neox" or "bloom" or "mpt" or "gpt_bigcode";

    private static JsonObject ClassicConfig(string modelType)
    {
        var c = new JsonObject { ["model_type"] = modelType, ["vocab_size"] = Vocab };
        switch (modelType)
        {
            case "gpt_neox":
                (c["hidden_size"], c["num_attention_heads"], c["num_hidden_layers"], c["intermediate_size"]) = (Hidden, Heads, 2, 96);
                (c["max_position_embeddings"], c["rotary_pct"], c["rotary_emb_base"], c["layer_norm_eps"]) = (64, 0.25, 10000, 1e-5);
                (c["hidden_act"], c["use_parallel_residual"], c["attention_bias"], c["tie_word_embeddings"]) = ("gelu", true, true, false);
                break;
            case "bloom":
                (c["hidden_size"], c["n_head"], c["n_layer"], c["layer_norm_epsilon"], c["seq_length"]) = (Hidden, Heads, 2, 1e-5, 64);
                (c["apply_residual_connection_post_layernorm"], c["tie_word_embeddings"]) = (false, true);
                break;
            case "mpt":
                (c["d_model"], c["n_heads"], c["n_layers"], c["expansion_ratio"], c["max_seq_len"]) = (Hidden, Heads, 2, 4, 64);
                (c["no_bias"], c["layer_norm_epsilon"], c["tie_word_embeddings"]) = (true, 1e-5, true);
                c["attn_config"] = new JsonObject
                {
                    ["alibi"] = true,
                    ["alibi_bias_max"] = 8,
                    ["clip_qkv"] = 1.0,
                    ["qk_ln"] = false,
                    ["softmax_scale"] = null,
                    ["attn_type"] = "multihead_attention",
                };
                break;
            default:
                (c["n_embd"], c["n_head"], c["n_layer"], c["n_positions"], c["n_inner"]) = (Hidden, Heads, 2, 64, null);
                (c["layer_norm_epsilon"], c["activation_function"], c["multi_query"]) = (1e-5, "gelu_pytorch_tanh", true);
                (c["scale_attn_weights"], c["tie_word_embeddings"]) = (true, true);
                break;
        }
        return c;
    }

    private static void WriteClassic(JsonObject c, Action<string, float, float, long[]> add, Action<string, long> norm, Action<string, long, long, bool> linear)
    {
        var type = (string)c["model_type"]!;
        int Key(params string[] keys) => keys.Select(k => (int?)c[k]).First(v => v != null)!.Value;
        int h = Key("hidden_size", "d_model", "n_embd"), heads = Key("num_attention_heads", "n_head", "n_heads"), layers = Key("num_hidden_layers", "n_layer", "n_layers");
        var ff = type == "gpt_neox" ? (int)c["intermediate_size"]! : (int?)c["n_inner"] ?? 4 * h;
        var biases = type != "mpt";
        var kv = type == "gpt_bigcode" && (bool)c["multi_query"]! ? h / heads : h;
        void LayerNorm(string name)
        {
            add(name + ".weight", 1f, 0.4f, [h]);
            if (biases) add(name + ".bias", 0f, 0.3f, [h]);
        }
        var (prefix, layer) = type switch
        {
            "gpt_neox" => ("gpt_neox.", "gpt_neox.layers.{0}."),
            "bloom" => ("", "h.{0}."),
            "mpt" => ("transformer.", "transformer.blocks.{0}."),
            _ => ("transformer.", "transformer.h.{0}."),
        };
        add(prefix + type switch { "gpt_neox" => "embed_in.weight", "bloom" => "word_embeddings.weight", _ => "wte.weight" }, 0f, 1f, [Vocab, h]);
        if (type == "gpt_bigcode") add("transformer.wpe.weight", 0f, 1f, [(int)c["n_positions"]!, h]);
        if (type == "bloom") LayerNorm("word_embeddings_layernorm");
        for (var l = 0; l < layers; l++)
        {
            var p = string.Format(System.Globalization.CultureInfo.InvariantCulture, layer, l);
            var (attention, mlp) = type switch
            {
                "gpt_neox" => (("input_layernorm", "attention.query_key_value", "attention.dense"), ("post_attention_layernorm", "mlp.dense_h_to_4h", "mlp.dense_4h_to_h")),
                "bloom" => (("input_layernorm", "self_attention.query_key_value", "self_attention.dense"), ("post_attention_layernorm", "mlp.dense_h_to_4h", "mlp.dense_4h_to_h")),
                "mpt" => (("norm_1", "attn.Wqkv", "attn.out_proj"), ("norm_2", "ffn.up_proj", "ffn.down_proj")),
                _ => (("ln_1", "attn.c_attn", "attn.c_proj"), ("ln_2", "mlp.c_fc", "mlp.c_proj")),
            };
            LayerNorm(p + attention.Item1);
            linear(p + attention.Item2, h + 2 * kv, h, biases);
            linear(p + attention.Item3, h, h, biases);
            LayerNorm(p + mlp.Item1);
            linear(p + mlp.Item2, ff, h, biases);
            linear(p + mlp.Item3, h, ff, biases);
            // GPTNeoXAttention's masked_bias buffer, which older checkpoints store and the converter drops.
            if (type == "gpt_neox") add(p + "attention.masked_bias", -1e9f, 0f, [1]);
        }
        LayerNorm(prefix + type switch { "gpt_neox" => "final_layer_norm", "mpt" => "norm_f", _ => "ln_f" });
        if (type == "gpt_neox") linear("embed_out", Vocab, h, false);
    }
}
