using Moxing.Core.Formats.Gguf;

namespace Moxing.Models.Synthesis;

// nemotron_h / nemotron_h_moe as llama.cpp's NemotronHModel writes them: head_count_kv and feed_forward_length per layer (the
// attention blocks' heads, the feed-forward blocks' widths, 0 elsewhere), the ssm.* keys, the head size, both norm epsilons,
// rope.scaling.finetuned false; per block attn_norm, then Mamba2 tensors as MambaTensors writes them, q/k/v/o, ffn_up/ffn_down,
// or the router (F32), exp_probs_b, up/down expert stacks and the shared expert's up/down; an untied head.
public static partial class SyntheticModelWriter
{
    private static GgufWriter AddNemotronH(GgufWriter w, Random random, int seed, SynthShape shape,
        (int Heads, int HeadDim, int State, int Groups, int Taps, bool[] Layers) m, SynthFileType fileType)
    {
        var arch = shape.Architecture;
        var blocks = shape.NemotronHBlocks;
        int hidden = shape.Hidden, layers = shape.Layers, q = shape.Heads * shape.HeadDim, kv = shape.KvHeads * shape.HeadDim;
        var ff = shape.Experts > 0 ? shape.ExpertFeedForward : shape.FeedForward;
        w.Set($"{arch}.attention.head_count_kv", blocks.Select(b => b == '*' ? (uint)shape.KvHeads : 0u).ToArray());
        w.Set($"{arch}.feed_forward_length", blocks.Select(b => b is '-' or 'E' ? (uint)ff : 0u).ToArray());
        w.Set($"{arch}.attention.key_length", (uint)shape.HeadDim);
        w.Set($"{arch}.attention.value_length", (uint)shape.HeadDim);
        w.Set($"{arch}.attention.layer_norm_epsilon", shape.NormEps);
        w.Set($"{arch}.rope.scaling.finetuned", false);
        SsmKeys(w, arch, m);
        if (shape.Experts > 0)
        {
            w.Set($"{arch}.expert_shared_count", 1u);
            w.Set($"{arch}.expert_weights_norm", true);
            w.Set($"{arch}.expert_weights_scale", 2.5f);
            w.Set($"{arch}.expert_group_count", 1u);
        }
        Weight(w, random, fileType, "token_embd.weight", "token_embd", 0, layers, shape.Vocab, hidden);
        for (var i = 0; i < layers; i++)
        {
            var p = $"blk.{i}.";
            Norm(w, random, p + "attn_norm.weight", hidden);
            switch (blocks[i])
            {
                case 'M':
                    MambaTensors(w, random, fileType, p, i, shape, m);
                    break;
                case '*':
                    Weight(w, random, fileType, p + "attn_q.weight", "attn_q", i, layers, q, hidden);
                    Weight(w, random, fileType, p + "attn_k.weight", "attn_k", i, layers, kv, hidden);
                    Weight(w, random, fileType, p + "attn_v.weight", "attn_v", i, layers, kv, hidden);
                    Weight(w, random, fileType, p + "attn_output.weight", "attn_output", i, layers, hidden, q);
                    break;
                case '-':
                    Weight(w, random, fileType, p + "ffn_up.weight", "ffn_up", i, layers, ff, hidden);
                    Weight(w, random, fileType, p + "ffn_down.weight", "ffn_down", i, layers, hidden, ff);
                    break;
                default:
                    w.AddF32(p + "ffn_gate_inp.weight", [shape.Experts, hidden], Uniform(random, shape.Experts * hidden, 0f, WeightSpread));
                    w.AddF32(p + "exp_probs_b.bias", [shape.Experts], Uniform(random, shape.Experts, 0f, 0.05f));
                    Experts(w, seed * 7919 + 16 * i, fileType, p + "ffn_up_exps.weight", "ffn_up_exps", i, shape, ff, hidden);
                    Experts(w, seed * 7919 + 16 * i + 1, fileType, p + "ffn_down_exps.weight", "ffn_down_exps", i, shape, hidden, ff);
                    Weight(w, random, fileType, p + "ffn_up_shexp.weight", "ffn_up_shexp", i, layers, shape.SharedFeedForward, hidden);
                    Weight(w, random, fileType, p + "ffn_down_shexp.weight", "ffn_down_shexp", i, layers, hidden, shape.SharedFeedForward);
                    break;
            }
        }
        Norm(w, random, "output_norm.weight", hidden);
        Weight(w, random, fileType, "output.weight", "output", 0, layers, shape.Vocab, hidden);
        return w;
    }
}
