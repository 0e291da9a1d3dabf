using System.Text.Json.Nodes;

namespace Moxing.Models.Tests.Families;

// Granite 4.0 hybrid as GraniteMoeHybridForCausalLM names and shapes it: Mamba2 layers around an attention layer, 8 heads of 16
// over an inner width of 2 × hidden, two B/C groups, a state of 16, 4 taps with biases; Granite's multipliers; the experts with
// their shared MLP (num_local_experts 0: the shared MLP alone).
public sealed partial class TinyHfFolder
{
    /// <summary>The tiny Granite 4.0 hybrid's layer_types.</summary>
    internal static readonly string[] GraniteHybridLayers = ["mamba", "attention", "mamba"];

    private static void GraniteHybridConfig(JsonObject c)
    {
        c["rms_norm_eps"] = 1e-5;
        c["embedding_multiplier"] = 12.0;
        c["residual_multiplier"] = 0.22;
        c["attention_multiplier"] = 0.03;
        c["logits_scaling"] = 6.0;
        c["tie_word_embeddings"] = true;
        c["intermediate_size"] = 32;
        c["num_local_experts"] = Experts;
        c["num_experts_per_tok"] = ExpertsUsed;
        c["shared_intermediate_size"] = 48;
        c["position_embedding_type"] = "nope";
        c["layer_types"] = new JsonArray([.. GraniteHybridLayers.Select(t => JsonValue.Create(t))]);
        c["mamba_n_heads"] = 8;
        c["mamba_n_groups"] = 2;
        c["mamba_d_state"] = 16;
        c["mamba_d_head"] = "auto";
        c["mamba_d_conv"] = 4;
        c["mamba_expand"] = 2;
        c["mamba_conv_bias"] = true;
        c["mamba_proj_bias"] = false;
    }

    private static void WriteGraniteHybrid(JsonObject c, Action<string, float, float, long[]> add, Action<string, long> norm, Action<string, long, long, bool> linear)
    {
        int heads = (int)c["mamba_n_heads"]!, inner = (int)c["mamba_expand"]! * Hidden, state = (int)c["mamba_d_state"]!, groups = (int)c["mamba_n_groups"]!;
        int taps = (int)c["mamba_d_conv"]!, channels = inner + 2 * groups * state, shared = (int)c["shared_intermediate_size"]!;
        add("model.embed_tokens.weight", 0f, 0.1f, [Vocab, Hidden]);
        for (var l = 0; l < GraniteHybridLayers.Length; l++)
        {
            var p = $"model.layers.{l}.";
            norm(p + "input_layernorm", Hidden);
            if (GraniteHybridLayers[l] == "mamba")
            {
                linear(p + "mamba.in_proj", inner + channels + heads, Hidden, (bool?)c["mamba_proj_bias"] == true);
                add(p + "mamba.conv1d.weight", 0f, 0.5f, [channels, 1, taps]);
                if ((bool?)c["mamba_conv_bias"] == true) add(p + "mamba.conv1d.bias", 0f, 0.2f, [channels]);
                // dt_bias around −1 and A_log around 0: time steps of order 0.3, decays of order 0.7 per token, so the state remembers.
                add(p + "mamba.dt_bias", -1f, 0.5f, [heads]);
                add(p + "mamba.A_log", 0f, 0.5f, [heads]);
                add(p + "mamba.D", 1f, 0.5f, [heads]);
                norm(p + "mamba.norm", inner);
                linear(p + "mamba.out_proj", Hidden, inner, (bool?)c["mamba_proj_bias"] == true);
            }
            else
            {
                linear(p + "self_attn.q_proj", Heads * HeadDim, Hidden, false);
                linear(p + "self_attn.k_proj", KvHeads * HeadDim, Hidden, false);
                linear(p + "self_attn.v_proj", KvHeads * HeadDim, Hidden, false);
                linear(p + "self_attn.o_proj", Hidden, Heads * HeadDim, false);
            }
            norm(p + "post_attention_layernorm", Hidden);
            if ((int)c["num_local_experts"]! > 0) WriteGraniteMoe(c, p, add);
            else
            {
                add(p + "shared_mlp.input_linear.weight", 0f, 1.7f / MathF.Sqrt(Hidden), [2 * shared, Hidden]);
                add(p + "shared_mlp.output_linear.weight", 0f, 1.7f / MathF.Sqrt(shared), [Hidden, shared]);
            }
        }
        norm("model.norm", Hidden);
    }
}
