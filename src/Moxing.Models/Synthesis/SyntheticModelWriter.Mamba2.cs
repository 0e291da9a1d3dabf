using Moxing.Core.Formats.Gguf;

namespace Moxing.Models.Synthesis;

// Mamba2 mixers as llama.cpp's Mamba2Model writes them (alone in mamba2, beside attention in granitehybrid): the ssm.* keys; per
// layer ssm_in, ssm_conv1d (+ bias, F32 as llama-quantize keeps them), ssm_dt.bias, ssm_a = −exp(A_log) and ssm_d as [heads, 1],
// ssm_norm as [groups, inner / groups], ssm_out. A plain mamba2 file has no attention keys beyond head_count 0, no positions,
// no feed-forward (feed_forward_length 0).
public static partial class SyntheticModelWriter
{
    private static GgufWriter AddMamba2(GgufWriter w, Random random, SynthShape shape,
        (int Heads, int HeadDim, int State, int Groups, int Taps, bool[] Layers) m, SynthFileType fileType)
    {
        const string arch = "mamba2";
        w.Remove($"{arch}.attention.head_count_kv").Remove($"{arch}.rope.freq_base").Remove($"{arch}.attention.key_length").Remove($"{arch}.attention.value_length");
        SsmKeys(w, arch, m);
        Weight(w, random, fileType, "token_embd.weight", "token_embd", 0, shape.Layers, shape.Vocab, shape.Hidden);
        for (var i = 0; i < shape.Layers; i++)
        {
            var p = $"blk.{i}.";
            Norm(w, random, p + "attn_norm.weight", shape.Hidden);
            MambaTensors(w, random, fileType, p, i, shape, m);
        }
        Norm(w, random, "output_norm.weight", shape.Hidden);
        Weight(w, random, fileType, "output.weight", "output", 0, shape.Layers, shape.Vocab, shape.Hidden);
        return w;
    }

    private static void SsmKeys(GgufWriter w, string arch, (int Heads, int HeadDim, int State, int Groups, int Taps, bool[] Layers) m)
    {
        w.Set($"{arch}.ssm.conv_kernel", (uint)m.Taps);
        w.Set($"{arch}.ssm.inner_size", (uint)(m.Heads * m.HeadDim));
        w.Set($"{arch}.ssm.state_size", (uint)m.State);
        w.Set($"{arch}.ssm.time_step_rank", (uint)m.Heads);
        w.Set($"{arch}.ssm.group_count", (uint)m.Groups);
    }

    // Falcon-H1's published mixers have no norm (mamba_rms_norm false): `norm` false leaves ssm_norm out.
    private static void MambaTensors(GgufWriter w, Random random, SynthFileType fileType, string p, int layer, SynthShape shape,
        (int Heads, int HeadDim, int State, int Groups, int Taps, bool[] Layers) m, bool norm = true)
    {
        int hidden = shape.Hidden, inner = m.Heads * m.HeadDim, channels = inner + 2 * m.Groups * m.State;
        Weight(w, random, fileType, p + "ssm_in.weight", "ssm_in", layer, shape.Layers, inner + channels + m.Heads, hidden);
        w.AddF32(p + "ssm_conv1d.weight", [channels, m.Taps], Uniform(random, channels * m.Taps, 0f, 0.3f));
        w.AddF32(p + "ssm_conv1d.bias", [channels], Uniform(random, channels, 0f, 0.1f));
        // Time steps around softplus(−1) ≈ 0.3 and decays exp(dt·A) around 0.7: the state remembers a few tokens back.
        w.AddF32(p + "ssm_dt.bias", [m.Heads], Uniform(random, m.Heads, -1f, 0.3f));
        w.AddF32(p + "ssm_a", [m.Heads, 1], Uniform(random, m.Heads, 0f, 0.3f).Select(v => -MathF.Exp(v)).ToArray());
        w.AddF32(p + "ssm_d", [m.Heads, 1], Uniform(random, m.Heads, 1f, 0.3f));
        if (norm) w.AddF32(p + "ssm_norm.weight", [m.Groups, inner / m.Groups], Uniform(random, inner, 1f, 0.1f));
        Weight(w, random, fileType, p + "ssm_out.weight", "ssm_out", layer, shape.Layers, hidden, inner);
    }
}
