using Moxing.Core.Formats.Gguf;

namespace Moxing.Models.Synthesis;

// mamba and jamba as llama.cpp's MambaModel and JambaModel write them: the ssm.* keys with the time-step rank (mamba: dt_b_c_rms, no
// attention keys beyond head_count 0, no feed-forward; jamba: head_count_kv per layer, 0 on the Mamba layers), no positions; per Mamba
// layer ssm_in, ssm_conv1d (+ bias, F32 as llama-quantize keeps them), ssm_x, ssm_dt (+ bias), ssm_a = −exp(A_log) as [inner, state],
// ssm_d, ssm_out, and Jamba's ssm_dt/b/c_norm; Jamba's attention layers q/k/v/o, and after every layer its MLP or, on its sparse
// layers, its router and experts.
public static partial class SyntheticModelWriter
{
    private static GgufWriter AddMamba1(GgufWriter w, Random random, int seed, SynthShape shape,
        (int Inner, int State, int Taps, int Rank, bool Rms, bool[] Layers) m, SynthFileType fileType)
    {
        var arch = shape.Architecture;
        int hidden = shape.Hidden, layers = shape.Layers;
        w.Remove($"{arch}.rope.freq_base").Remove($"{arch}.attention.key_length").Remove($"{arch}.attention.value_length");
        w.Set($"{arch}.ssm.conv_kernel", (uint)m.Taps);
        w.Set($"{arch}.ssm.inner_size", (uint)m.Inner);
        w.Set($"{arch}.ssm.state_size", (uint)m.State);
        w.Set($"{arch}.ssm.time_step_rank", (uint)m.Rank);
        if (arch == "mamba") w.Remove($"{arch}.attention.head_count_kv").Set($"{arch}.ssm.dt_b_c_rms", m.Rms);
        else w.Set($"{arch}.attention.head_count_kv", m.Layers.Select(mamba => mamba ? 0u : (uint)shape.KvHeads).ToArray());
        Weight(w, random, fileType, "token_embd.weight", shape.TiedEmbeddings ? "output" : "token_embd", 0, layers, shape.Vocab, hidden);
        for (var i = 0; i < layers; i++)
        {
            var p = $"blk.{i}.";
            Norm(w, random, p + "attn_norm.weight", hidden);
            if (m.Layers[i]) SelectiveScanTensors(w, random, fileType, p, i, shape, m);
            else AttentionTensors(w, random, fileType, p, i, shape);
            if (arch == "mamba") continue;
            Norm(w, random, p + "ffn_norm.weight", hidden);
            if (shape.IsSparse(i))
            {
                RoutedExperts(w, random, seed * 7919 + 16 * i, fileType, p, i, shape);
                continue;
            }
            Weight(w, random, fileType, p + "ffn_gate.weight", "ffn_gate", i, layers, shape.FeedForward, hidden);
            Weight(w, random, fileType, p + "ffn_up.weight", "ffn_up", i, layers, shape.FeedForward, hidden);
            Weight(w, random, fileType, p + "ffn_down.weight", "ffn_down", i, layers, hidden, shape.FeedForward);
        }
        Norm(w, random, "output_norm.weight", hidden);
        if (!shape.TiedEmbeddings) Weight(w, random, fileType, "output.weight", "output", 0, layers, shape.Vocab, hidden);
        return w;
    }

    // Time steps around softplus(−1) ≈ 0.3 and decays exp(dt·A) around 0.7, as MambaTensors writes them: the state remembers a few
    // tokens back. Jamba's dt/B/C norms (a shape with attention layers) as any norm.
    private static void SelectiveScanTensors(GgufWriter w, Random random, SynthFileType fileType, string p, int layer, SynthShape shape,
        (int Inner, int State, int Taps, int Rank, bool Rms, bool[] Layers) m)
    {
        int hidden = shape.Hidden, inner = m.Inner;
        Weight(w, random, fileType, p + "ssm_in.weight", "ssm_in", layer, shape.Layers, 2 * inner, hidden);
        w.AddF32(p + "ssm_conv1d.weight", [inner, m.Taps], Uniform(random, inner * m.Taps, 0f, 0.3f));
        w.AddF32(p + "ssm_conv1d.bias", [inner], Uniform(random, inner, 0f, 0.1f));
        Weight(w, random, fileType, p + "ssm_x.weight", "ssm_x", layer, shape.Layers, m.Rank + 2 * m.State, inner);
        Weight(w, random, fileType, p + "ssm_dt.weight", "ssm_dt", layer, shape.Layers, inner, m.Rank);
        w.AddF32(p + "ssm_dt.bias", [inner], Uniform(random, inner, -1f, 0.3f));
        w.AddF32(p + "ssm_a", [inner, m.State], Uniform(random, inner * m.State, 0f, 0.3f).Select(v => -MathF.Exp(v)).ToArray());
        w.AddF32(p + "ssm_d", [inner], Uniform(random, inner, 1f, 0.3f));
        Weight(w, random, fileType, p + "ssm_out.weight", "ssm_out", layer, shape.Layers, hidden, inner);
        if (shape.Heads == 0) return;
        Norm(w, random, p + "ssm_dt_norm.weight", m.Rank);
        Norm(w, random, p + "ssm_b_norm.weight", m.State);
        Norm(w, random, p + "ssm_c_norm.weight", m.State);
    }

    // An attention layer's q, k, v and output projections, without biases.
    private static void AttentionTensors(GgufWriter w, Random random, SynthFileType fileType, string p, int layer, SynthShape shape)
    {
        int hidden = shape.Hidden, q = shape.Heads * shape.HeadDim, kv = shape.KvHeads * shape.HeadDim;
        Weight(w, random, fileType, p + "attn_q.weight", "attn_q", layer, shape.Layers, q, hidden);
        Weight(w, random, fileType, p + "attn_k.weight", "attn_k", layer, shape.Layers, kv, hidden);
        Weight(w, random, fileType, p + "attn_v.weight", "attn_v", layer, shape.Layers, kv, hidden);
        Weight(w, random, fileType, p + "attn_output.weight", "attn_output", layer, shape.Layers, hidden, q);
    }

    // A sparse layer's router (F32, as llama-quantize keeps it) and gate, up and down expert stacks from seeds `seed` to `seed + 2`.
    private static void RoutedExperts(GgufWriter w, Random random, int seed, SynthFileType fileType, string p, int layer, SynthShape shape)
    {
        int hidden = shape.Hidden, ff = shape.ExpertFeedForward;
        w.AddF32(p + "ffn_gate_inp.weight", [shape.Experts, hidden], Uniform(random, shape.Experts * hidden, 0f, WeightSpread));
        Experts(w, seed, fileType, p + "ffn_gate_exps.weight", "ffn_gate_exps", layer, shape, ff, hidden);
        Experts(w, seed + 1, fileType, p + "ffn_up_exps.weight", "ffn_up_exps", layer, shape, ff, hidden);
        Experts(w, seed + 2, fileType, p + "ffn_down_exps.weight", "ffn_down_exps", layer, shape, hidden, ff);
    }
}
