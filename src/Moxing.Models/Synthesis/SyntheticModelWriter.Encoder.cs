using Moxing.Core.Formats.Gguf;

namespace Moxing.Models.Synthesis;

/// <summary>Encoders (bert, nomic-bert) as convert_hf_to_gguf.py's BertModel and NomicBertModel write them.</summary>
public static partial class SyntheticModelWriter
{
    private static GgufWriter AddEncoder(GgufWriter w, Random random, SynthShape shape, SynthFileType fileType)
    {
        var arch = shape.Architecture;
        var nomic = arch == "nomic-bert";
        w.Set($"{arch}.context_length", (uint)shape.Context);
        w.Set($"{arch}.embedding_length", (uint)shape.Hidden);
        w.Set($"{arch}.feed_forward_length", (uint)shape.FeedForward);
        w.Set($"{arch}.block_count", (uint)shape.Layers);
        w.Set($"{arch}.attention.head_count", (uint)shape.Heads);
        w.Set($"{arch}.attention.layer_norm_epsilon", shape.NormEps);
        w.Set($"{arch}.attention.causal", false);
        w.Set($"{arch}.pooling_type", (uint)shape.Pooling);
        if (nomic) w.Set($"{arch}.rope.freq_base", shape.RopeBase);
        // the shape's count, whatever a copied tokenizer says: llama.cpp checks token_types against it
        w.Set("tokenizer.ggml.token_type_count", (uint)shape.TokenTypes);

        int h = shape.Hidden, ff = shape.FeedForward, layers = shape.Layers;
        // No output matrix: llama-quantize types token_embd as the output.
        Weight(w, random, fileType, "token_embd.weight", "output", 0, layers, shape.Vocab, h);
        // the converter writes the token-type and position tables as F32, and llama-quantize keeps them so
        w.AddF32("token_types.weight", [shape.TokenTypes, h], Uniform(random, shape.TokenTypes * h, 0f, WeightSpread));
        if (!nomic) w.AddF32("position_embd.weight", [shape.Context, h], Uniform(random, shape.Context * h, 0f, WeightSpread));
        LayerNorm(w, random, "token_embd_norm", h);
        for (var i = 0; i < layers; i++)
        {
            var p = $"blk.{i}.";
            if (nomic) Weight(w, random, fileType, p + "attn_qkv.weight", "attn_qkv", i, layers, 3 * h, h);
            else
                foreach (var role in new[] { "attn_q", "attn_k", "attn_v" })
                {
                    Weight(w, random, fileType, p + role + ".weight", role, i, layers, h, h);
                    Bias(w, random, p + role + ".bias", h);
                }
            Weight(w, random, fileType, p + "attn_output.weight", "attn_output", i, layers, h, h);
            if (!nomic) Bias(w, random, p + "attn_output.bias", h);
            LayerNorm(w, random, p + "attn_output_norm", h);
            Weight(w, random, fileType, p + "ffn_up.weight", "ffn_up", i, layers, ff, h);
            if (nomic) Weight(w, random, fileType, p + "ffn_gate.weight", "ffn_gate", i, layers, ff, h);
            else Bias(w, random, p + "ffn_up.bias", ff);
            Weight(w, random, fileType, p + "ffn_down.weight", "ffn_down", i, layers, h, ff);
            if (!nomic) Bias(w, random, p + "ffn_down.bias", h);
            LayerNorm(w, random, p + "layer_output_norm", h);
        }
        return w;
    }

    private static void LayerNorm(GgufWriter w, Random random, string prefix, int length)
    {
        Norm(w, random, prefix + ".weight", length);
        Bias(w, random, prefix + ".bias", length);
    }
}
