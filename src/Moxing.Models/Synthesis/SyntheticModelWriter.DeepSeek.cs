using Moxing.Core.Formats.Gguf;
using Moxing.Core.Tensors;

namespace Moxing.Models.Synthesis;

// deepseek2 as llama.cpp's current DeepseekV2Model writes it: MQA over the latent (head_count_kv 1, key/value lengths of the latent,
// the _mla lengths of the decompressed heads), kv_b split into attn_k_b (per head transposed) and attn_v_b.
public static partial class SyntheticModelWriter
{
    private static GgufWriter AddDeepSeek(GgufWriter w, Random random, int seed, SynthShape shape, SynthDeepSeek d, SynthFileType fileType)
    {
        const string arch = "deepseek2";
        int hidden = shape.Hidden, heads = shape.Heads, nope = shape.HeadDim - d.RopeDim, layers = shape.Layers;
        w.Set($"{arch}.leading_dense_block_count", (uint)d.LeadingDense);
        // llama.cpp reads q_lora_rank unless the model has V2-Lite's 26 or 27 layers; the converter writes it when the config sets one.
        if (d.QLoraRank > 0 || shape.Layers is not (26 or 27)) w.Set($"{arch}.attention.q_lora_rank", (uint)d.QLoraRank);
        w.Set($"{arch}.attention.kv_lora_rank", (uint)d.KvLoraRank);
        w.Set($"{arch}.attention.key_length", (uint)(d.KvLoraRank + d.RopeDim));
        w.Set($"{arch}.attention.value_length", (uint)d.KvLoraRank);
        w.Set($"{arch}.attention.key_length_mla", (uint)shape.HeadDim);
        w.Set($"{arch}.attention.value_length_mla", (uint)d.ValueDim);
        w.Set($"{arch}.expert_feed_forward_length", (uint)shape.ExpertFeedForward);
        w.Set($"{arch}.expert_count", (uint)shape.Experts);
        w.Set($"{arch}.expert_used_count", (uint)shape.ExpertsUsed);
        w.Set($"{arch}.expert_group_count", (uint)d.Groups);
        w.Set($"{arch}.expert_group_used_count", (uint)d.GroupsUsed);
        w.Set($"{arch}.expert_gating_func", d.Sigmoid ? 2u : 1u);
        w.Set($"{arch}.expert_shared_count", (uint)(shape.SharedFeedForward / shape.ExpertFeedForward));
        w.Set($"{arch}.expert_weights_scale", d.RoutedScale);
        if (d.Sigmoid) w.Set($"{arch}.expert_weights_norm", true);
        w.Set($"{arch}.rope.dimension_count", (uint)d.RopeDim);
        w.Set($"{arch}.rope.scaling.type", "yarn");
        w.Set($"{arch}.rope.scaling.factor", d.YarnFactor);
        w.Set($"{arch}.rope.scaling.original_context_length", (uint)d.YarnOriginalContext);
        w.Set($"{arch}.rope.scaling.yarn_beta_fast", 32f);
        w.Set($"{arch}.rope.scaling.yarn_beta_slow", 1f);
        w.Set($"{arch}.rope.scaling.yarn_log_multiplier", 0.1f * d.MscaleAllDim);

        Weight(w, random, fileType, "token_embd.weight", "token_embd", 0, layers, shape.Vocab, hidden);
        for (var i = 0; i < layers; i++)
        {
            var p = $"blk.{i}.";
            Norm(w, random, p + "attn_norm.weight", hidden);
            if (d.QLoraRank > 0)
            {
                Weight(w, random, fileType, p + "attn_q_a.weight", "attn_q_a", i, layers, d.QLoraRank, hidden);
                Norm(w, random, p + "attn_q_a_norm.weight", d.QLoraRank);
                Weight(w, random, fileType, p + "attn_q_b.weight", "attn_q_b", i, layers, heads * shape.HeadDim, d.QLoraRank);
            }
            else Weight(w, random, fileType, p + "attn_q.weight", "attn_q", i, layers, heads * shape.HeadDim, hidden);
            Weight(w, random, fileType, p + "attn_kv_a_mqa.weight", "attn_kv_a_mqa", i, layers, d.KvLoraRank + d.RopeDim, hidden);
            Norm(w, random, p + "attn_kv_a_norm.weight", d.KvLoraRank);
            Stack(w, seed * 7919 + 16 * i, fileType.TypeFor("attn_k_b", i, layers, nope), p + "attn_k_b.weight", heads, d.KvLoraRank, nope);
            Stack(w, seed * 7919 + 16 * i + 1, fileType.TypeFor("attn_v_b", i, layers, d.KvLoraRank), p + "attn_v_b.weight", heads, d.ValueDim, d.KvLoraRank);
            Weight(w, random, fileType, p + "attn_output.weight", "attn_output", i, layers, hidden, heads * d.ValueDim);
            Norm(w, random, p + "ffn_norm.weight", hidden);
            if (i < d.LeadingDense)
            {
                Weight(w, random, fileType, p + "ffn_gate.weight", "ffn_gate", i, layers, shape.FeedForward, hidden);
                Weight(w, random, fileType, p + "ffn_up.weight", "ffn_up", i, layers, shape.FeedForward, hidden);
                Weight(w, random, fileType, p + "ffn_down.weight", "ffn_down", i, layers, hidden, shape.FeedForward);
                continue;
            }
            // V3's selection bias is of the order of its sigmoid scores' spread; the router stays F32 as llama-quantize keeps it.
            if (d.Sigmoid) w.AddF32(p + "exp_probs_b.bias", [shape.Experts], Uniform(random, shape.Experts, 0.05f, 0.02f));
            w.AddF32(p + "ffn_gate_inp.weight", [shape.Experts, hidden], Uniform(random, shape.Experts * hidden, 0f, WeightSpread));
            Experts(w, seed * 7919 + 16 * i + 2, fileType, p + "ffn_gate_exps.weight", "ffn_gate_exps", i, shape, shape.ExpertFeedForward, hidden);
            Experts(w, seed * 7919 + 16 * i + 3, fileType, p + "ffn_up_exps.weight", "ffn_up_exps", i, shape, shape.ExpertFeedForward, hidden);
            Experts(w, seed * 7919 + 16 * i + 4, fileType, p + "ffn_down_exps.weight", "ffn_down_exps", i, shape, hidden, shape.ExpertFeedForward);
            Weight(w, random, fileType, p + "ffn_gate_shexp.weight", "ffn_gate_shexp", i, layers, shape.SharedFeedForward, hidden);
            Weight(w, random, fileType, p + "ffn_up_shexp.weight", "ffn_up_shexp", i, layers, shape.SharedFeedForward, hidden);
            Weight(w, random, fileType, p + "ffn_down_shexp.weight", "ffn_down_shexp", i, layers, hidden, shape.SharedFeedForward);
        }
        Norm(w, random, "output_norm.weight", hidden);
        Weight(w, random, fileType, "output.weight", "output", 0, layers, shape.Vocab, hidden);
        return w;
    }
}
