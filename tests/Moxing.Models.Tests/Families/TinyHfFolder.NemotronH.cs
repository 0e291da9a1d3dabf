using System.Text.Json.Nodes;

namespace Moxing.Models.Tests.Families;

// Nemotron-H as NemotronHForCausalLM names and shapes it: one norm and one mixer per block as hybrid_override_pattern says; Mamba2
// blocks of 8 heads of 16 over an inner width of 2 × hidden, two B/C groups, a state of 16, 4 taps with biases; attention heads of
// head_dim; relu² MLPs; an untied head. The MoE layout (NemotronHPattern's E blocks): 8 experts top-2 of 32 channels, sigmoid with
// the selection bias, renormalised × 2.5, a shared expert of 48.
public sealed partial class TinyHfFolder
{
    /// <summary>The tiny dense Nemotron-H's blocks.</summary>
    internal const string NemotronHPattern = "M-*-M-";

    /// <summary>The tiny Nemotron-H MoE's blocks.</summary>
    internal const string NemotronHMoePattern = "ME*EME";

    private static void NemotronHConfig(JsonObject c)
    {
        c["hybrid_override_pattern"] = NemotronHPattern;
        c["head_dim"] = HeadDim;
        c["layer_norm_epsilon"] = 1e-5;
        c["mlp_hidden_act"] = "relu2";
        c["attention_bias"] = false;
        c["mlp_bias"] = false;
        c["mamba_num_heads"] = 8;
        c["mamba_head_dim"] = 16;
        c["n_groups"] = 2;
        c["ssm_state_size"] = 16;
        c["conv_kernel"] = 4;
        c["use_conv_bias"] = true;
        c["use_bias"] = false;
        c["tie_word_embeddings"] = false;
        c["n_routed_experts"] = DeepSeekExperts;
        c["num_experts_per_tok"] = 2;
        c["moe_intermediate_size"] = DeepSeekExpertWidth;
        c["moe_shared_expert_intermediate_size"] = 48;
        c["n_shared_experts"] = 1;
        c["n_group"] = 1;
        c["topk_group"] = 1;
        c["norm_topk_prob"] = true;
        c["routed_scaling_factor"] = 2.5;
    }

    private static void WriteNemotronH(JsonObject c, Action<string, float, float, long[]> add, Action<string, long> norm, Action<string, long, long, bool> linear)
    {
        var pattern = (string)c["hybrid_override_pattern"]!;
        int heads = (int)c["mamba_num_heads"]!, inner = heads * (int)c["mamba_head_dim"]!, state = (int)c["ssm_state_size"]!, groups = (int)c["n_groups"]!;
        int taps = (int)c["conv_kernel"]!, channels = inner + 2 * groups * state, kv = (int)c["num_key_value_heads"]! * HeadDim;
        add("backbone.embeddings.weight", 0f, 1f, [Vocab, Hidden]);
        for (var l = 0; l < pattern.Length; l++)
        {
            var p = $"backbone.layers.{l}.";
            norm(p + "norm", Hidden);
            var m = p + "mixer.";
            switch (pattern[l])
            {
                case 'M':
                    linear(m + "in_proj", inner + channels + heads, Hidden, false);
                    add(m + "conv1d.weight", 0f, 0.5f, [channels, 1, taps]);
                    add(m + "conv1d.bias", 0f, 0.2f, [channels]);
                    // dt_bias around −1 and A_log around 0, as Granite 4.0 hybrid's tiny folder: the state remembers.
                    add(m + "dt_bias", -1f, 0.5f, [heads]);
                    add(m + "A_log", 0f, 0.5f, [heads]);
                    add(m + "D", 1f, 0.5f, [heads]);
                    norm(m + "norm", inner);
                    linear(m + "out_proj", Hidden, inner, false);
                    break;
                case '*':
                    linear(m + "q_proj", Heads * HeadDim, Hidden, false);
                    linear(m + "k_proj", kv, Hidden, false);
                    linear(m + "v_proj", kv, Hidden, false);
                    linear(m + "o_proj", Hidden, Heads * HeadDim, false);
                    break;
                case '-':
                    linear(m + "up_proj", (int)c["intermediate_size"]!, Hidden, false);
                    linear(m + "down_proj", Hidden, (int)c["intermediate_size"]!, false);
                    break;
                default:
                    // The router's selection bias of the order of the sigmoid scores' spread.
                    add(m + "gate.weight", 0f, 0.6f, [DeepSeekExperts, Hidden]);
                    add(m + "gate.e_score_correction_bias", 0f, 0.3f, [DeepSeekExperts]);
                    foreach (var (q, width) in Enumerable.Range(0, DeepSeekExperts).Select(e => ($"experts.{e}.", DeepSeekExpertWidth))
                                 .Append(("shared_experts.", (int)c["moe_shared_expert_intermediate_size"]!)))
                    {
                        linear(m + q + "up_proj", width, Hidden, false);
                        linear(m + q + "down_proj", Hidden, width, false);
                    }
                    break;
            }
        }
        norm("backbone.norm_f", Hidden);
        linear("lm_head", Vocab, Hidden, false);
    }
}
