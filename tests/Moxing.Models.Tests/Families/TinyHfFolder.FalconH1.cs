using System.Text.Json.Nodes;

namespace Moxing.Models.Tests.Families;

// Falcon-H1 as FalconH1ForCausalLM names and shapes it: every layer a Mamba2 mixer (8 heads of 16 over mamba_d_ssm 128, two B/C
// groups, a state of 16, 4 taps with biases; no norm unless mamba_rms_norm) beside attention, then the SwiGLU feed_forward; the muP
// multipliers of the published models' order (none of them 1), an untied head.
public sealed partial class TinyHfFolder
{
    private static void FalconH1Config(JsonObject c)
    {
        c["head_dim"] = HeadDim;
        c["rms_norm_eps"] = 1e-5;
        c["rope_theta"] = 100000.0;
        c["hidden_act"] = "silu";
        c["tie_word_embeddings"] = false;
        c["attention_bias"] = false;
        c["mlp_bias"] = false;
        c["projectors_bias"] = false;
        c["mamba_d_ssm"] = 128;
        c["mamba_n_heads"] = 8;
        c["mamba_d_head"] = 16;
        c["mamba_n_groups"] = 2;
        c["mamba_d_state"] = 16;
        c["mamba_d_conv"] = 4;
        c["mamba_conv_bias"] = true;
        c["mamba_proj_bias"] = false;
        c["mamba_rms_norm"] = false;
        c["mamba_norm_before_gate"] = false;
        c["embedding_multiplier"] = 5.6;
        c["lm_head_multiplier"] = 0.04;
        c["attention_in_multiplier"] = 0.8;
        c["attention_out_multiplier"] = 0.94;
        c["key_multiplier"] = 0.39;
        c["ssm_in_multiplier"] = 1.25;
        c["ssm_out_multiplier"] = 0.24;
        c["ssm_multipliers"] = new JsonArray(0.35, 0.25, 0.18, 0.5, 0.7);
        c["mlp_multipliers"] = new JsonArray(0.88, 0.59);
    }

    private static void WriteFalconH1(JsonObject c, Action<string, float, float, long[]> add, Action<string, long> norm, Action<string, long, long, bool> linear)
    {
        int heads = (int)c["mamba_n_heads"]!, inner = (int)c["mamba_d_ssm"]!, state = (int)c["mamba_d_state"]!, groups = (int)c["mamba_n_groups"]!;
        int taps = (int)c["mamba_d_conv"]!, channels = inner + 2 * groups * state, ff = (int)c["intermediate_size"]!;
        add("model.embed_tokens.weight", 0f, 0.2f, [Vocab, Hidden]);
        for (var l = 0; l < LayerCount("falcon_h1"); l++)
        {
            var p = $"model.layers.{l}.";
            norm(p + "input_layernorm", Hidden);
            linear(p + "self_attn.q_proj", Heads * HeadDim, Hidden, false);
            linear(p + "self_attn.k_proj", KvHeads * HeadDim, Hidden, false);
            linear(p + "self_attn.v_proj", KvHeads * HeadDim, Hidden, false);
            linear(p + "self_attn.o_proj", Hidden, Heads * HeadDim, false);
            // The mup vector shrinks in_proj's parts: its weights larger so they still matter.
            linear(p + "mamba.in_proj", inner + channels + heads, Hidden, false);
            add(p + "mamba.conv1d.weight", 0f, 0.5f, [channels, 1, taps]);
            add(p + "mamba.conv1d.bias", 0f, 0.2f, [channels]);
            add(p + "mamba.dt_bias", -1f, 0.5f, [heads]);
            add(p + "mamba.A_log", 0f, 0.5f, [heads]);
            add(p + "mamba.D", 1f, 0.5f, [heads]);
            if ((bool?)c["mamba_rms_norm"] == true) norm(p + "mamba.norm", inner);
            linear(p + "mamba.out_proj", Hidden, inner, false);
            norm(p + "pre_ff_layernorm", Hidden);
            linear(p + "feed_forward.gate_proj", ff, Hidden, false);
            linear(p + "feed_forward.up_proj", ff, Hidden, false);
            linear(p + "feed_forward.down_proj", Hidden, ff, false);
        }
        norm("model.final_layernorm", Hidden);
        linear("lm_head", Vocab, Hidden, false);
    }
}
