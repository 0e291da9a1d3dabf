using Moxing.Core.Formats.Gguf;

namespace Moxing.Models.Synthesis;

public static partial class SyntheticModelWriter
{
    // GPTNeoXModel, BloomModel, MPTModel and StarCoderModel: LayerNorms (MPT's without biases), one fused attn_qkv in [q; k; v] order
    // and biases on every projection but MPT's, an ungated ffn_up/ffn_down; GPT-NeoX its rotated dimensions and parallel residual and
    // an untied output, BLOOM the token_embd_norm, MPT its ALiBi exponent, StarCoder learned positions.
    private static GgufWriter AddClassic(GgufWriter w, Random random, SynthShape shape, SynthFileType fileType)
    {
        var arch = shape.Architecture;
        if (arch == "gptneox")
        {
            w.Set($"{arch}.rope.dimension_count", (uint)shape.RotaryDim);
            w.Set($"{arch}.use_parallel_residual", true);
        }
        if (arch == "mpt") w.Set($"{arch}.attention.max_alibi_bias", 8f);
        var biases = arch != "mpt";
        int h = shape.Hidden, q = shape.Heads * shape.HeadDim, kv = shape.KvHeads * shape.HeadDim;
        Weight(w, random, fileType, "token_embd.weight", shape.TiedEmbeddings ? "output" : "token_embd", 0, shape.Layers, shape.Vocab, h);
        if (arch == "bloom") Norm(w, random, shape, "token_embd_norm.weight", h);
        if (arch == "starcoder") Weight(w, random, fileType, "position_embd.weight", "position_embd", 0, shape.Layers, shape.Context, h);
        void Projection(string name, int layer, int rows, int columns)
        {
            Weight(w, random, fileType, name + ".weight", name[(name.LastIndexOf('.') + 1)..], layer, shape.Layers, rows, columns);
            if (biases) Bias(w, random, name + ".bias", rows);
        }
        for (var i = 0; i < shape.Layers; i++)
        {
            var p = $"blk.{i}.";
            Norm(w, random, shape, p + "attn_norm.weight", h);
            Projection(p + "attn_qkv", i, q + 2 * kv, h);
            Projection(p + "attn_output", i, h, q);
            Norm(w, random, shape, p + "ffn_norm.weight", h);
            Projection(p + "ffn_up", i, shape.FeedForward, h);
            Projection(p + "ffn_down", i, h, shape.FeedForward);
        }
        Norm(w, random, shape, "output_norm.weight", h);
        if (!shape.TiedEmbeddings) Weight(w, random, fileType, "output.weight", "output", 0, shape.Layers, shape.Vocab, h);
        return w;
    }
}
