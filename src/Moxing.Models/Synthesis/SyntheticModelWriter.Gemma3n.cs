using Moxing.Core.Formats.Gguf;
using Moxing.Core.Tensors;
using Moxing.Models.Families;

namespace Moxing.Models.Synthesis;

// gemma3n as llama.cpp's Gemma3NModel writes it: key/value length, the local RoPE base, window and which layers slide (every fifth
// full), the sharing layers, the per-layer inputs' width, AltUp's four streams and active one, the first layers' sparsity quantile
// (−∞ for the rest), the MLP widths per layer, the soft-cap; altup_proj and altup_unembd_proj stacked [3, hidden, hidden],
// per_layer_token_embd, per_layer_model_proj and per_layer_proj_norm; per layer q, k and v (the sharing layers' too, as the
// checkpoint has them) with q/k norms, the Gemma norms around attention and MLP, the per-layer input's gate, projection and norm,
// AltUp's router, its norm and the F32 coefficients and scale, Laurel's two projections and norm; the head tied.
public static partial class SyntheticModelWriter
{
    private const int AltUpStreams = 4;

    private static GgufWriter AddGemma3n(GgufWriter w, Random random, SynthShape shape, SynthGemma3n g, SynthFileType fileType)
    {
        const string arch = "gemma3n";
        int hidden = shape.Hidden, layers = shape.Layers, perLayer = g.PerLayerInput, q = shape.Heads * shape.HeadDim, kv = shape.KvHeads * shape.HeadDim;
        var sparsity = (float)NormalQuantile.Of(0.95f);
        w.Set($"{arch}.attention.key_length", (uint)shape.HeadDim);
        w.Set($"{arch}.attention.value_length", (uint)shape.HeadDim);
        w.Set($"{arch}.rope.freq_base_swa", 10000f);
        w.Set($"{arch}.attention.sliding_window", (uint)shape.SlidingWindow);
        w.Set($"{arch}.attention.sliding_window_pattern", Enumerable.Range(0, layers).Select(i => (i + 1) % 5 != 0).ToArray());
        w.Set($"{arch}.attention.shared_kv_layers", (uint)g.SharedKvLayers);
        w.Set($"{arch}.embedding_length_per_layer_input", (uint)perLayer);
        w.Set($"{arch}.altup.active_idx", 0u);
        w.Set($"{arch}.altup.num_inputs", (uint)AltUpStreams);
        w.Set($"{arch}.activation_sparsity_scale", Enumerable.Range(0, layers).Select(i => i < g.SparseLayers ? sparsity : float.NegativeInfinity).ToArray());
        w.Set($"{arch}.feed_forward_length", Enumerable.Repeat((uint)shape.FeedForward, layers).ToArray());
        w.Set($"{arch}.final_logit_softcapping", 30f);
        Weight(w, random, fileType, "token_embd.weight", "output", 0, layers, shape.Vocab, hidden);
        Weight(w, random, fileType, "per_layer_token_embd.weight", "per_layer_token_embd", 0, layers, shape.Vocab, layers * perLayer);
        Weight(w, random, fileType, "per_layer_model_proj.weight", "per_layer_model_proj", 0, layers, layers * perLayer, hidden);
        Norm(w, random, "per_layer_proj_norm.weight", perLayer);
        foreach (var stack in new[] { "altup_proj", "altup_unembd_proj" })
        {
            var type = fileType.TypeFor(stack, 0, layers, hidden);
            var bytes = new byte[type.ByteCount((long)(AltUpStreams - 1) * hidden * hidden)];
            Fill(type, bytes, random, (AltUpStreams - 1) * hidden * hidden);
            w.AddTensor(stack + ".weight", type, [AltUpStreams - 1, hidden, hidden], bytes);
        }
        for (var i = 0; i < layers; i++)
        {
            var p = $"blk.{i}.";
            Norm(w, random, p + "attn_norm.weight", hidden);
            Weight(w, random, fileType, p + "attn_q.weight", "attn_q", i, layers, q, hidden);
            Weight(w, random, fileType, p + "attn_k.weight", "attn_k", i, layers, kv, hidden);
            Weight(w, random, fileType, p + "attn_v.weight", "attn_v", i, layers, kv, hidden);
            Norm(w, random, p + "attn_q_norm.weight", shape.HeadDim);
            Norm(w, random, p + "attn_k_norm.weight", shape.HeadDim);
            Weight(w, random, fileType, p + "attn_output.weight", "attn_output", i, layers, hidden, q);
            Norm(w, random, p + "post_attention_norm.weight", hidden);
            Norm(w, random, p + "ffn_norm.weight", hidden);
            Weight(w, random, fileType, p + "ffn_gate.weight", "ffn_gate", i, layers, shape.FeedForward, hidden);
            Weight(w, random, fileType, p + "ffn_up.weight", "ffn_up", i, layers, shape.FeedForward, hidden);
            Weight(w, random, fileType, p + "ffn_down.weight", "ffn_down", i, layers, hidden, shape.FeedForward);
            Norm(w, random, p + "post_ffw_norm.weight", hidden);
            Weight(w, random, fileType, p + "inp_gate.weight", "inp_gate", i, layers, perLayer, hidden);
            Weight(w, random, fileType, p + "proj.weight", "proj", i, layers, hidden, perLayer);
            Norm(w, random, p + "post_norm.weight", hidden);
            w.AddF32(p + "altup_correct_coef.weight", [AltUpStreams, AltUpStreams], Uniform(random, AltUpStreams * AltUpStreams, 0f, 0.1f));
            Norm(w, random, p + "altup_correct_scale.weight", hidden);
            w.AddF32(p + "altup_predict_coef.weight", [AltUpStreams * AltUpStreams, AltUpStreams], Uniform(random, AltUpStreams * AltUpStreams * AltUpStreams, 0f, 0.1f));
            Weight(w, random, fileType, p + "altup_router.weight", "altup_router", i, layers, AltUpStreams, hidden);
            Norm(w, random, p + "altup_router_norm.weight", hidden);
            Weight(w, random, fileType, p + "laurel_l.weight", "laurel_l", i, layers, g.LaurelRank, hidden);
            Weight(w, random, fileType, p + "laurel_r.weight", "laurel_r", i, layers, hidden, g.LaurelRank);
            Norm(w, random, p + "laurel_post_norm.weight", hidden);
        }
        Norm(w, random, "output_norm.weight", hidden);
        return w;
    }
}
