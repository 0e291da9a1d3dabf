using System.Text.Json.Nodes;

namespace Moxing.Models.Tests.Families;

// Mamba 1 as MambaForCausalLM / FalconMambaForCausalLM name and shape it (three blocks of a norm and a mixer over 2 × hidden channels,
// a state of 16, 4 taps with biases, a time-step rank of 8; mamba-130m-hf's tied head, falcon-mamba-7b's untied one), and Jamba as
// JambaForCausalLM does: four layers, attention on layer 2 (attn_layer_period 4, offset 2), Mamba 1 with its dt/B/C norms
// elsewhere, experts on layers 1 and 3 (expert_layer_period 2, offset 1: 4 experts top-2), SwiGLU MLPs on the others.
public sealed partial class TinyHfFolder
{
    private const int MambaLayers = 3, JambaLayers = 4, JambaExperts = 4;

    private static void MambaConfig(JsonObject c)
    {
        foreach (var key in new[] { "num_attention_heads", "num_key_value_heads", "max_position_embeddings", "rope_theta" }) c.Remove(key);
        c["intermediate_size"] = 2 * Hidden;
        c["state_size"] = 16;
        c["conv_kernel"] = 4;
        c["expand"] = 2;
        c["time_step_rank"] = 8;
        c["layer_norm_epsilon"] = 1e-5;
        c["use_bias"] = false;
        c["use_conv_bias"] = true;
        c["hidden_act"] = "silu";
        c["residual_in_fp32"] = true;
        var falcon = (string)c["model_type"]! == "falcon_mamba";
        c["tie_word_embeddings"] = !falcon;
        if (falcon) c["mixer_rms_eps"] = 1e-6;
    }

    private static void JambaConfig(JsonObject c)
    {
        c["rms_norm_eps"] = 1e-6;
        c["hidden_act"] = "silu";
        c["tie_word_embeddings"] = false;
        c["max_position_embeddings"] = 262144;
        c["attn_layer_period"] = 4;
        c["attn_layer_offset"] = 2;
        c["expert_layer_period"] = 2;
        c["expert_layer_offset"] = 1;
        c["num_experts"] = JambaExperts;
        c["num_experts_per_tok"] = 2;
        c["mamba_d_state"] = 16;
        c["mamba_d_conv"] = 4;
        c["mamba_expand"] = 2;
        c["mamba_dt_rank"] = "auto";
        c["mamba_conv_bias"] = true;
        c["mamba_proj_bias"] = false;
        c["use_mamba_kernels"] = false;
    }

    private static void WriteMamba(JsonObject c, Action<string, float, float, long[]> add, Action<string, long> norm, Action<string, long, long, bool> linear)
    {
        add("backbone.embeddings.weight", 0f, 1f, [Vocab, Hidden]);
        for (var l = 0; l < (int)c["num_hidden_layers"]!; l++)
        {
            norm($"backbone.layers.{l}.norm", Hidden);
            WriteMamba1Mixer($"backbone.layers.{l}.mixer.", (int)c["expand"]! * Hidden, (int)c["state_size"]!, (int)c["conv_kernel"]!, TimeStepRank(c["time_step_rank"]!, Hidden),
                (bool)c["use_bias"]!, false, add, norm, linear);
        }
        norm("backbone.norm_f", Hidden);
        if (c["tie_word_embeddings"] is { } tied && !(bool)tied) linear("lm_head", Vocab, Hidden, false);
    }

    private static void WriteJamba(JsonObject c, Action<string, float, float, long[]> add, Action<string, long> norm, Action<string, long, long, bool> linear)
    {
        int ff = (int)c["intermediate_size"]!, kv = (int)c["num_key_value_heads"]! * HeadDim;
        add("model.embed_tokens.weight", 0f, 1f, [Vocab, Hidden]);
        for (var l = 0; l < (int)c["num_hidden_layers"]!; l++)
        {
            var p = $"model.layers.{l}.";
            norm(p + "input_layernorm", Hidden);
            if (l % (int)c["attn_layer_period"]! == (int)c["attn_layer_offset"]!)
            {
                linear(p + "self_attn.q_proj", Heads * HeadDim, Hidden, false);
                linear(p + "self_attn.k_proj", kv, Hidden, false);
                linear(p + "self_attn.v_proj", kv, Hidden, false);
                linear(p + "self_attn.o_proj", Hidden, Heads * HeadDim, false);
            }
            else WriteMamba1Mixer(p + "mamba.", (int)c["mamba_expand"]! * Hidden, (int)c["mamba_d_state"]!, (int)c["mamba_d_conv"]!, TimeStepRank(c["mamba_dt_rank"]!, Hidden),
                (bool)c["mamba_proj_bias"]!, true, add, norm, linear);
            norm(p + "pre_ff_layernorm", Hidden);
            var sparse = (int)c["num_experts"]! > 1 && l % (int)c["expert_layer_period"]! == (int)c["expert_layer_offset"]!;
            if (sparse) add(p + "feed_forward.router.weight", 0f, 0.6f, [JambaExperts, Hidden]);
            foreach (var q in sparse ? Enumerable.Range(0, JambaExperts).Select(e => $"feed_forward.experts.{e}.") : ["feed_forward."])
            {
                linear(p + q + "gate_proj", ff, Hidden, false);
                linear(p + q + "up_proj", ff, Hidden, false);
                linear(p + q + "down_proj", Hidden, ff, false);
            }
        }
        norm("model.final_layernorm", Hidden);
        linear("lm_head", Vocab, Hidden, false);
    }

    /// <summary>A time-step rank as MambaConfig and JambaConfig read it: ceil(hidden / 16) where "auto".</summary>
    internal static int TimeStepRank(JsonNode rank, int hidden) => rank.GetValueKind() == System.Text.Json.JsonValueKind.String ? (hidden + 15) / 16 : (int)rank;

    // MambaMixer's tensors under q: in_proj (x, then z), the depthwise conv1d with its bias, x_proj (time-step inputs, B, C), dt_proj
    // with its bias, A_log per channel and state, D, out_proj; Jamba's dt/b/c_layernorm where `norms`. dt_proj's bias around −1 and
    // A_log around 0 (decays exp(dt·A) around 0.7), as the Mamba2 folders: the state remembers a few tokens back.
    private static void WriteMamba1Mixer(string q, int inner, int state, int taps, int rank, bool projBias, bool norms,
        Action<string, float, float, long[]> add, Action<string, long> norm, Action<string, long, long, bool> linear)
    {
        linear(q + "in_proj", 2 * inner, Hidden, projBias);
        add(q + "conv1d.weight", 0f, 0.5f, [inner, 1, taps]);
        add(q + "conv1d.bias", 0f, 0.2f, [inner]);
        linear(q + "x_proj", rank + 2 * state, inner, false);
        add(q + "dt_proj.weight", 0f, 0.5f, [inner, rank]);
        add(q + "dt_proj.bias", -1f, 0.5f, [inner]);
        add(q + "A_log", 0f, 0.5f, [inner, state]);
        add(q + "D", 1f, 0.5f, [inner]);
        linear(q + "out_proj", Hidden, inner, projBias);
        if (!norms) return;
        norm(q + "dt_layernorm", rank);
        norm(q + "b_layernorm", state);
        norm(q + "c_layernorm", state);
    }
}
