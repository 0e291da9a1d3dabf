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

    private static void WriteLfm2(JsonObject c, Action<string, float, float, long[]> add, Action<string, long> norm, Action<string, long, long, bool> linear)
    {
        var bias = (bool?)c["conv_bias"] == true;
        int taps = (int)c["conv_L_cache"]!, ff = Lfm2FeedForward;
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
            linear(p + "feed_forward.w1", ff, Hidden, false);
            linear(p + "feed_forward.w3", ff, Hidden, false);
            linear(p + "feed_forward.w2", Hidden, ff, false);
        }
        norm("model.embedding_norm", Hidden);
    }
}
