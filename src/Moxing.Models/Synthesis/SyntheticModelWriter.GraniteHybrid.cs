using Moxing.Core.Formats.Gguf;

namespace Moxing.Models.Synthesis;

// granitehybrid as llama.cpp's GraniteHybridModel writes it: Granite's multipliers (written with the other granite shapes),
// head_count_kv per layer (0 on the Mamba2 layers), the ssm.* keys, rope.scaling.finetuned false (no positions; the converter
// also writes a context of 2^20 for such models, synth keeps the shape's); Mamba2 layers as MambaTensors writes them,
// attention layers q/k/v/o; every layer's experts and shared expert.
public static partial class SyntheticModelWriter
{
    private static GgufWriter AddGraniteHybrid(GgufWriter w, Random random, int seed, SynthShape shape,
        (int Heads, int HeadDim, int State, int Groups, int Taps, bool[] Layers) m, SynthFileType fileType)
    {
        const string arch = "granitehybrid";
        int hidden = shape.Hidden, layers = shape.Layers;
        w.Set($"{arch}.attention.head_count_kv", m.Layers.Select(mamba => mamba ? 0u : (uint)shape.KvHeads).ToArray());
        SsmKeys(w, arch, m);
        w.Set($"{arch}.rope.scaling.finetuned", false);
        Weight(w, random, fileType, "token_embd.weight", "output", 0, layers, shape.Vocab, hidden);
        for (var i = 0; i < layers; i++)
        {
            var p = $"blk.{i}.";
            Norm(w, random, p + "attn_norm.weight", hidden);
            if (m.Layers[i]) MambaTensors(w, random, fileType, p, i, shape, m);
            else AttentionTensors(w, random, fileType, p, i, shape);
            Norm(w, random, p + "ffn_norm.weight", hidden);
            RoutedExperts(w, random, seed * 7919 + 16 * i, fileType, p, i, shape);
            Weight(w, random, fileType, p + "ffn_gate_shexp.weight", "ffn_gate_shexp", i, layers, shape.SharedFeedForward, hidden);
            Weight(w, random, fileType, p + "ffn_up_shexp.weight", "ffn_up_shexp", i, layers, shape.SharedFeedForward, hidden);
            Weight(w, random, fileType, p + "ffn_down_shexp.weight", "ffn_down_shexp", i, layers, hidden, shape.SharedFeedForward);
        }
        Norm(w, random, "output_norm.weight", hidden);
        return w;
    }
}
