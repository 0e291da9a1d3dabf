using Moxing.Core.Formats.Gguf;

namespace Moxing.Models.Synthesis;

// lfm2 as llama.cpp's LFM2Model writes it: head_count_kv per layer (0 on the short convolutions), shortconv.l_cache, per layer
// attn_norm (the operator norm) and either shortconv.in_proj / conv / out_proj or q/k/v with per-head q/k norms and attn_output,
// then ffn_norm and the SwiGLU MLP; the final norm as token_embd_norm, the head tied. llama-quantize keeps the kernels F32.
// lfm2moe as LFM2MoeModel writes it: the same, with the expert keys, and past the dense lead the router, the selection bias
// (exp_probs_b) and the expert stacks in place of the MLP.
public static partial class SyntheticModelWriter
{
    private const int Lfm2Taps = 3;

    private static GgufWriter AddLfm2(GgufWriter w, Random random, int seed, SynthShape shape, SynthFileType fileType)
    {
        var arch = shape.Architecture;
        int hidden = shape.Hidden, layers = shape.Layers, q = shape.Heads * shape.HeadDim, kv = shape.KvHeads * shape.HeadDim;
        var conv = shape.ShortConvLayers;
        w.Set($"{arch}.attention.head_count_kv", conv.Select(c => c ? 0u : (uint)shape.KvHeads).ToArray());
        w.Set($"{arch}.shortconv.l_cache", (uint)Lfm2Taps);
        if (shape.Experts > 0)
        {
            w.Set($"{arch}.expert_count", (uint)shape.Experts);
            w.Set($"{arch}.expert_used_count", (uint)shape.ExpertsUsed);
            w.Set($"{arch}.expert_feed_forward_length", (uint)shape.ExpertFeedForward);
            w.Set($"{arch}.leading_dense_block_count", (uint)shape.LeadingDenseLayers);
            w.Set($"{arch}.expert_gating_func", 2u);
        }
        Weight(w, random, fileType, "token_embd.weight", "output", 0, layers, shape.Vocab, hidden);
        for (var i = 0; i < layers; i++)
        {
            var p = $"blk.{i}.";
            Norm(w, random, p + "attn_norm.weight", hidden);
            if (conv[i])
            {
                Weight(w, random, fileType, p + "shortconv.in_proj.weight", "shortconv_in_proj", i, layers, 3 * hidden, hidden);
                // Taps of order one over √taps: each input's share of the convolution shows.
                w.AddF32(p + "shortconv.conv.weight", [hidden, Lfm2Taps], Uniform(random, hidden * Lfm2Taps, 0f, 0.5f));
                Weight(w, random, fileType, p + "shortconv.out_proj.weight", "shortconv_out_proj", i, layers, hidden, hidden);
            }
            else
            {
                Weight(w, random, fileType, p + "attn_q.weight", "attn_q", i, layers, q, hidden);
                Weight(w, random, fileType, p + "attn_k.weight", "attn_k", i, layers, kv, hidden);
                Weight(w, random, fileType, p + "attn_v.weight", "attn_v", i, layers, kv, hidden);
                Norm(w, random, p + "attn_q_norm.weight", shape.HeadDim);
                Norm(w, random, p + "attn_k_norm.weight", shape.HeadDim);
                Weight(w, random, fileType, p + "attn_output.weight", "attn_output", i, layers, hidden, q);
            }
            Norm(w, random, p + "ffn_norm.weight", hidden);
            if (shape.IsSparse(i))
            {
                // The selection bias of the order of the sigmoid scores' spread; router and bias F32 as llama-quantize keeps them.
                w.AddF32(p + "exp_probs_b.bias", [shape.Experts], Uniform(random, shape.Experts, 0f, 0.05f));
                w.AddF32(p + "ffn_gate_inp.weight", [shape.Experts, hidden], Uniform(random, shape.Experts * hidden, 0f, WeightSpread));
                Experts(w, seed * 7919 + 16 * i, fileType, p + "ffn_gate_exps.weight", "ffn_gate_exps", i, shape, shape.ExpertFeedForward, hidden);
                Experts(w, seed * 7919 + 16 * i + 1, fileType, p + "ffn_up_exps.weight", "ffn_up_exps", i, shape, shape.ExpertFeedForward, hidden);
                Experts(w, seed * 7919 + 16 * i + 2, fileType, p + "ffn_down_exps.weight", "ffn_down_exps", i, shape, hidden, shape.ExpertFeedForward);
                continue;
            }
            Weight(w, random, fileType, p + "ffn_gate.weight", "ffn_gate", i, layers, shape.FeedForward, hidden);
            Weight(w, random, fileType, p + "ffn_up.weight", "ffn_up", i, layers, shape.FeedForward, hidden);
            Weight(w, random, fileType, p + "ffn_down.weight", "ffn_down", i, layers, hidden, shape.FeedForward);
        }
        Norm(w, random, "token_embd_norm.weight", hidden);
        return w;
    }
}
