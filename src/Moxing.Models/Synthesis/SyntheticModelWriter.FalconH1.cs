using Moxing.Core.Formats.Gguf;

namespace Moxing.Models.Synthesis;

// falcon-h1 as llama.cpp's FalconH1Model writes it: the ssm.* keys and the head size; per layer attn_norm, q/k/v/o, the Mamba2
// tensors without ssm_norm (the published models' mamba_rms_norm false), ffn_norm (named without .weight, as the converter maps
// pre_ff_layernorm.weight) and the SwiGLU MLP; an untied head. The multipliers are in the weights, so no keys for them.
public static partial class SyntheticModelWriter
{
    private static GgufWriter AddFalconH1(GgufWriter w, Random random, SynthShape shape,
        (int Heads, int HeadDim, int State, int Groups, int Taps, bool[] Layers) m, SynthFileType fileType)
    {
        const string arch = "falcon-h1";
        int hidden = shape.Hidden, layers = shape.Layers, q = shape.Heads * shape.HeadDim, kv = shape.KvHeads * shape.HeadDim;
        w.Set($"{arch}.attention.key_length", (uint)shape.HeadDim);
        w.Set($"{arch}.attention.value_length", (uint)shape.HeadDim);
        SsmKeys(w, arch, m);
        Weight(w, random, fileType, "token_embd.weight", "token_embd", 0, layers, shape.Vocab, hidden);
        for (var i = 0; i < layers; i++)
        {
            var p = $"blk.{i}.";
            Norm(w, random, p + "attn_norm.weight", hidden);
            Weight(w, random, fileType, p + "attn_q.weight", "attn_q", i, layers, q, hidden);
            Weight(w, random, fileType, p + "attn_k.weight", "attn_k", i, layers, kv, hidden);
            Weight(w, random, fileType, p + "attn_v.weight", "attn_v", i, layers, kv, hidden);
            Weight(w, random, fileType, p + "attn_output.weight", "attn_output", i, layers, hidden, q);
            MambaTensors(w, random, fileType, p, i, shape, m, norm: false);
            Norm(w, random, p + "ffn_norm", hidden);
            Weight(w, random, fileType, p + "ffn_gate.weight", "ffn_gate", i, layers, shape.FeedForward, hidden);
            Weight(w, random, fileType, p + "ffn_up.weight", "ffn_up", i, layers, shape.FeedForward, hidden);
            Weight(w, random, fileType, p + "ffn_down.weight", "ffn_down", i, layers, hidden, shape.FeedForward);
        }
        Norm(w, random, "output_norm.weight", hidden);
        Weight(w, random, fileType, "output.weight", "output", 0, layers, shape.Vocab, hidden);
        return w;
    }
}
