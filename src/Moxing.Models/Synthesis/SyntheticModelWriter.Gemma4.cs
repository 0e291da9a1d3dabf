using Moxing.Core.Formats.Gguf;
using Moxing.Models.Families;

namespace Moxing.Models.Synthesis;

// gemma4 as llama.cpp's Gemma4Model writes it: key_length the full layers' head size and key_length_swa the sliding ones', rotated
// dimensions and RoPE bases of both, which layers slide, the sharing layers, per-layer widths and key/value heads, rope_freqs for the
// proportional RoPE (a quarter of the full heads' pairs rotate); per layer q (and, unless sharing, k and v but on full layers with
// keys as values) with their norms, the Gemma norms around attention and MLP, the per-layer input's gate, projection and norm,
// the output scale; per_layer_token_embd, per_layer_model_proj and per_layer_proj_norm; the head tied. With experts (26B-A4B) every
// layer adds the router and its input scale, the experts' fused gate_up and down stacks with their output scales, and the norms
// around the two branches (pre_ffw_norm_2, post_ffw_norm_1, post_ffw_norm_2).
public static partial class SyntheticModelWriter
{
    private static GgufWriter AddGemma4(GgufWriter w, Random random, int seed, SynthShape shape, SynthGemma4 g, SynthFileType fileType)
    {
        const string arch = "gemma4";
        int hidden = shape.Hidden, layers = shape.Layers, perLayer = g.PerLayerInput;
        var full = Enumerable.Range(0, layers).Select(i => (i + 1) % g.Period == 0 || i == layers - 1).ToArray();
        var shared = Gemma4Family.SharedKvSources(full, g.SharedKvLayers);
        int HeadDim(int i) => full[i] ? g.FullHeadDim : shape.HeadDim;
        int KvHeads(int i) => full[i] ? g.FullKvHeads : shape.KvHeads;
        int FeedForward(int i) => g.DoubleWide && i >= layers - g.SharedKvLayers ? 2 * shape.FeedForward : shape.FeedForward;
        w.Set($"{arch}.attention.key_length", (uint)g.FullHeadDim);
        w.Set($"{arch}.attention.value_length", (uint)g.FullHeadDim);
        w.Set($"{arch}.attention.key_length_swa", (uint)shape.HeadDim);
        w.Set($"{arch}.attention.value_length_swa", (uint)shape.HeadDim);
        w.Set($"{arch}.rope.dimension_count", (uint)g.FullHeadDim);
        w.Set($"{arch}.rope.dimension_count_swa", (uint)shape.HeadDim);
        w.Set($"{arch}.rope.freq_base_swa", 10000f);
        w.Set($"{arch}.attention.sliding_window", (uint)shape.SlidingWindow);
        w.Set($"{arch}.attention.sliding_window_pattern", full.Select(f => !f).ToArray());
        w.Set($"{arch}.attention.shared_kv_layers", (uint)g.SharedKvLayers);
        w.Set($"{arch}.embedding_length_per_layer_input", (uint)perLayer);
        w.Set($"{arch}.final_logit_softcapping", 30f);
        w.Set($"{arch}.attention.head_count_kv", Enumerable.Range(0, layers).Select(i => (uint)KvHeads(i)).ToArray());
        w.Set($"{arch}.feed_forward_length", Enumerable.Range(0, layers).Select(i => (uint)FeedForward(i)).ToArray());
        if (shape.Experts > 0)
        {
            w.Set($"{arch}.expert_count", (uint)shape.Experts);
            w.Set($"{arch}.expert_used_count", (uint)shape.ExpertsUsed);
            w.Set($"{arch}.expert_feed_forward_length", (uint)shape.ExpertFeedForward);
        }
        Weight(w, random, fileType, "token_embd.weight", "output", 0, layers, shape.Vocab, hidden);
        if (perLayer > 0)
        {
            Weight(w, random, fileType, "per_layer_token_embd.weight", "per_layer_token_embd", 0, layers, shape.Vocab, layers * perLayer);
            Weight(w, random, fileType, "per_layer_model_proj.weight", "per_layer_model_proj", 0, layers, layers * perLayer, hidden);
            Norm(w, random, "per_layer_proj_norm.weight", perLayer);
        }
        var rotated = g.FullHeadDim / 8;
        w.AddF32("rope_freqs.weight", [g.FullHeadDim / 2], Enumerable.Range(0, g.FullHeadDim / 2).Select(i => i < rotated ? 1f : 1e30f).ToArray());
        for (var i = 0; i < layers; i++)
        {
            var p = $"blk.{i}.";
            int hd = HeadDim(i), q = shape.Heads * hd, kv = KvHeads(i) * hd, ff = FeedForward(i);
            Norm(w, random, p + "attn_norm.weight", hidden);
            Weight(w, random, fileType, p + "attn_q.weight", "attn_q", i, layers, q, hidden);
            QkNorm(w, random, p + "attn_q_norm.weight", hd);
            if (shared.Length == 0 || shared[i] < 0)
            {
                Weight(w, random, fileType, p + "attn_k.weight", "attn_k", i, layers, kv, hidden);
                QkNorm(w, random, p + "attn_k_norm.weight", hd);
                if (!(full[i] && g.KeysAsValues)) Weight(w, random, fileType, p + "attn_v.weight", "attn_v", i, layers, kv, hidden);
            }
            Weight(w, random, fileType, p + "attn_output.weight", "attn_output", i, layers, hidden, q);
            Norm(w, random, p + "post_attention_norm.weight", hidden);
            Norm(w, random, p + "ffn_norm.weight", hidden);
            Weight(w, random, fileType, p + "ffn_gate.weight", "ffn_gate", i, layers, ff, hidden);
            Weight(w, random, fileType, p + "ffn_up.weight", "ffn_up", i, layers, ff, hidden);
            Weight(w, random, fileType, p + "ffn_down.weight", "ffn_down", i, layers, hidden, ff);
            Norm(w, random, p + "post_ffw_norm.weight", hidden);
            if (shape.Experts > 0) AddGemma4Experts(w, random, seed * 7919 + 3 * i, shape, fileType, i);
            if (perLayer > 0)
            {
                Weight(w, random, fileType, p + "inp_gate.weight", "inp_gate", i, layers, perLayer, hidden);
                Weight(w, random, fileType, p + "proj.weight", "proj", i, layers, hidden, perLayer);
                Norm(w, random, p + "post_norm.weight", hidden);
            }
            Norm(w, random, p + "layer_output_scale.weight", 1);
        }
        Norm(w, random, "output_norm.weight", hidden);
        return w;
    }

    // Gemma 4 attends at scale 1, so its q/k norms carry the temperature: near head_dim^-1/4 the scores spread as 1/√head_dim
    // would scale them. Near 1 the random model's attention is nearly an argmax, whose rounding (llama.cpp's F16 activations and
    // flash attention) moves its logprobs from llama-server's by up to 0.009 where other families stay within 0.002.
    private static void QkNorm(GgufWriter w, Random random, string name, int headDim)
    {
        var scale = MathF.Pow(headDim, -0.25f);
        w.AddF32(name, [headDim], Uniform(random, headDim, scale, 0.1f * scale));
    }

    // A sparse layer's router, the branch norms, the fused gate_up and down stacks and the experts' scales. The router's input scale
    // is near √hidden, undoing its 1/√hidden as a trained one must: near 1 the logits would be ties that rounding decides.
    private static void AddGemma4Experts(GgufWriter w, Random random, int seed, SynthShape shape, SynthFileType fileType, int layer)
    {
        var (p, hidden, ff) = ($"blk.{layer}.", shape.Hidden, shape.ExpertFeedForward);
        w.AddF32(p + "ffn_gate_inp.weight", [shape.Experts, hidden], Uniform(random, shape.Experts * hidden, 0f, WeightSpread));
        w.AddF32(p + "ffn_gate_inp.scale", [hidden], Uniform(random, hidden, MathF.Sqrt(hidden), 0.1f * MathF.Sqrt(hidden)));
        Norm(w, random, p + "pre_ffw_norm_2.weight", hidden);
        Norm(w, random, p + "post_ffw_norm_1.weight", hidden);
        Norm(w, random, p + "post_ffw_norm_2.weight", hidden);
        Experts(w, seed, fileType, p + "ffn_gate_up_exps.weight", "ffn_gate_up_exps", layer, shape, 2 * ff, hidden);
        Experts(w, seed + 1, fileType, p + "ffn_down_exps.weight", "ffn_down_exps", layer, shape, hidden, ff);
        Norm(w, random, p + "ffn_down_exps.scale", shape.Experts);
    }
}
