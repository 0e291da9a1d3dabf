using Moxing.Core.Formats.Gguf;

namespace Moxing.Models.Synthesis;

// qwen3next, qwen35 and qwen35moe as llama.cpp's Qwen3NextModel / Qwen3_5TextModel write them: the head size, the ssm.* keys,
// full_attention_interval 4, a quarter of each head rotated (Qwen3.5's M-RoPE sections beside); Gated DeltaNet layers (attn_qkv,
// attn_gate, ssm_ba or ssm_beta / ssm_alpha, ssm_conv1d, ssm_dt.bias, ssm_a = −exp(A_log), ssm_norm of one head, ssm_out) and
// gated attention layers (attn_q of queries and gates, q/k norms); post_attention_norm before a dense MLP or the experts with
// their sigmoid-gated shared expert.
public static partial class SyntheticModelWriter
{
    private static GgufWriter AddQwen35(GgufWriter w, Random random, int seed, SynthShape shape, (int KeyHeads, int ValueHeads, int HeadDim, int Taps) d, SynthFileType fileType)
    {
        var arch = shape.Architecture;
        int hidden = shape.Hidden, layers = shape.Layers, hd = shape.HeadDim, q = shape.Heads * hd, kv = shape.KvHeads * hd;
        int keyDim = d.KeyHeads * d.HeadDim, valueDim = d.ValueHeads * d.HeadDim, channels = 2 * keyDim + valueDim;
        w.Set($"{arch}.attention.key_length", (uint)hd);
        w.Set($"{arch}.attention.value_length", (uint)hd);
        w.Set($"{arch}.ssm.conv_kernel", (uint)d.Taps);
        w.Set($"{arch}.ssm.state_size", (uint)d.HeadDim);
        w.Set($"{arch}.ssm.group_count", (uint)d.KeyHeads);
        w.Set($"{arch}.ssm.time_step_rank", (uint)d.ValueHeads);
        w.Set($"{arch}.ssm.inner_size", (uint)valueDim);
        w.Set($"{arch}.full_attention_interval", 4u);
        w.Set($"{arch}.rope.dimension_count", (uint)shape.RotaryDim);
        // Qwen3.5's [11, 11, 10] of 32 rotated pairs, scaled to the shape's (text positions rotate alike whatever the split).
        var pairs = shape.RotaryDim / 2;
        if (arch != "qwen3next") w.Set($"{arch}.rope.dimension_sections", new[] { pairs * 11 / 32, pairs * 11 / 32, pairs - 2 * (pairs * 11 / 32), 0 });
        Weight(w, random, fileType, "token_embd.weight", "token_embd", 0, layers, shape.Vocab, hidden);
        for (var i = 0; i < layers; i++)
        {
            var p = $"blk.{i}.";
            Norm(w, random, p + "attn_norm.weight", hidden);
            if ((i + 1) % 4 != 0)
            {
                Weight(w, random, fileType, p + "attn_qkv.weight", "attn_qkv", i, layers, channels, hidden);
                Weight(w, random, fileType, p + "attn_gate.weight", "attn_gate", i, layers, valueDim, hidden);
                if (arch == "qwen3next") Weight(w, random, fileType, p + "ssm_ba.weight", "ssm_ba", i, layers, 2 * d.ValueHeads, hidden);
                else
                {
                    Weight(w, random, fileType, p + "ssm_beta.weight", "ssm_beta", i, layers, d.ValueHeads, hidden);
                    Weight(w, random, fileType, p + "ssm_alpha.weight", "ssm_alpha", i, layers, d.ValueHeads, hidden);
                }
                w.AddF32(p + "ssm_conv1d.weight", [channels, d.Taps], Uniform(random, channels * d.Taps, 0f, 0.3f));
                // Decays exp(A·softplus(a + dt_bias)) around 0.7: the state remembers a few tokens back.
                w.AddF32(p + "ssm_dt.bias", [d.ValueHeads], Uniform(random, d.ValueHeads, -1f, 0.3f));
                w.AddF32(p + "ssm_a", [d.ValueHeads], Uniform(random, d.ValueHeads, 0f, 0.3f).Select(v => -MathF.Exp(v)).ToArray());
                Norm(w, random, p + "ssm_norm.weight", d.HeadDim);
                Weight(w, random, fileType, p + "ssm_out.weight", "ssm_out", i, layers, hidden, valueDim);
            }
            else
            {
                Weight(w, random, fileType, p + "attn_q.weight", "attn_q", i, layers, 2 * q, hidden);
                Weight(w, random, fileType, p + "attn_k.weight", "attn_k", i, layers, kv, hidden);
                Weight(w, random, fileType, p + "attn_v.weight", "attn_v", i, layers, kv, hidden);
                Weight(w, random, fileType, p + "attn_output.weight", "attn_output", i, layers, hidden, q);
                Norm(w, random, p + "attn_q_norm.weight", hd);
                Norm(w, random, p + "attn_k_norm.weight", hd);
            }
            Norm(w, random, p + "post_attention_norm.weight", hidden);
            if (shape.Experts == 0)
            {
                Weight(w, random, fileType, p + "ffn_gate.weight", "ffn_gate", i, layers, shape.FeedForward, hidden);
                Weight(w, random, fileType, p + "ffn_up.weight", "ffn_up", i, layers, shape.FeedForward, hidden);
                Weight(w, random, fileType, p + "ffn_down.weight", "ffn_down", i, layers, hidden, shape.FeedForward);
                continue;
            }
            w.AddF32(p + "ffn_gate_inp.weight", [shape.Experts, hidden], Uniform(random, shape.Experts * hidden, 0f, WeightSpread));
            Experts(w, seed * 7919 + 16 * i, fileType, p + "ffn_gate_exps.weight", "ffn_gate_exps", i, shape, shape.ExpertFeedForward, hidden);
            Experts(w, seed * 7919 + 16 * i + 1, fileType, p + "ffn_up_exps.weight", "ffn_up_exps", i, shape, shape.ExpertFeedForward, hidden);
            Experts(w, seed * 7919 + 16 * i + 2, fileType, p + "ffn_down_exps.weight", "ffn_down_exps", i, shape, hidden, shape.ExpertFeedForward);
            w.AddF32(p + "ffn_gate_inp_shexp.weight", [hidden], Uniform(random, hidden, 0f, WeightSpread));
            Weight(w, random, fileType, p + "ffn_gate_shexp.weight", "ffn_gate_shexp", i, layers, shape.SharedFeedForward, hidden);
            Weight(w, random, fileType, p + "ffn_up_shexp.weight", "ffn_up_shexp", i, layers, shape.SharedFeedForward, hidden);
            Weight(w, random, fileType, p + "ffn_down_shexp.weight", "ffn_down_shexp", i, layers, hidden, shape.SharedFeedForward);
        }
        Norm(w, random, "output_norm.weight", hidden);
        Weight(w, random, fileType, "output.weight", "output", 0, layers, shape.Vocab, hidden);
        return w;
    }
}
