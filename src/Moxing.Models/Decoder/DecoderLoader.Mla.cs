using Moxing.Core;
using Moxing.Core.Quantization;
using Moxing.Core.Tensors;
using Moxing.Models.Layers;

namespace Moxing.Models.Decoder;

// The multi-head latent attention part of the loader: the low-rank projections, and kv_b from llama.cpp's split k_b/v_b.
public sealed partial class DecoderLoader
{
    private AttentionWeights LatentAttention(int layer)
    {
        var o = options;
        var mla = o.Mla!;
        int h = o.HiddenSize, q = o.HeadCount * o.HeadDim, rank = mla.QLoraRank;
        return new AttentionWeights
        {
            Q = rank == 0 ? RequireLinear(names.Q, layer, q, h) : null,
            O = RequireLinear(names.O, layer, h, o.HeadCount * o.ValueDim),
            Mla = new MlaWeights
            {
                QA = rank > 0 ? RequireLinear(names.QA, layer, rank, h) : null,
                QANorm = rank > 0 ? RequireNorm(names.QANorm, layer, rank) : null,
                QB = rank > 0 ? RequireLinear(names.QB, layer, q, rank) : null,
                KvA = RequireLinear(names.KvA, layer, mla.KvLoraRank + mla.RopeDim, h),
                KvANorm = RequireNorm(names.KvANorm, layer, mla.KvLoraRank),
                KvB = KvB(layer, mla),
            },
        };
    }

    // kv_b as the checkpoint stores it, or rebuilt (float32, in the arena) from llama.cpp's attn_k_b [heads, rank, nope], each
    // head's block the transpose of its kv_b rows, and attn_v_b [heads, value dims, rank], each head's value rows.
    private Linear KvB(int layer, MlaOptions mla)
    {
        var o = options;
        int heads = o.HeadCount, rank = mla.KvLoraRank, nope = o.HeadDim - mla.RopeDim, vd = o.ValueDim;
        if (Find(names.KvB, layer) != null || names.KB == null || names.VB == null) return RequireLinear(names.KvB, layer, heads * (nope + vd), rank);
        var kB = Stack(names.KB, layer, heads, rank, nope);
        var vB = Stack(names.VB, layer, heads, vd, rank);
        var name = DecoderTensorNames.ForLayer(names.KB, layer).Replace("attn_k_b", "attn_kv_b", StringComparison.Ordinal);
        var rebuilt = _arena.AllocateF32(name, heads * (nope + vd), rank);
        unsafe
        {
            var dst = new Span<float>(rebuilt.Data, heads * (nope + vd) * rank);
            for (var head = 0; head < heads; head++)
            {
                var block = dst.Slice(head * (nope + vd) * rank, (nope + vd) * rank);
                for (var r = 0; r < rank; r++)
                    for (var c = 0; c < nope; c++) block[c * rank + r] = kB[(head * rank + r) * nope + c];
                vB.AsSpan(head * vd * rank, vd * rank).CopyTo(block[(nope * rank)..]);
            }
        }
        return new Linear(rebuilt, null, null);
    }

    // A [count, rows, cols] tensor as floats.
    private float[] Stack(string pattern, int layer, int count, int rows, int cols)
    {
        var name = DecoderTensorNames.ForLayer(pattern, layer);
        var t = _tensors.Find(name) ?? throw new InvalidModelFileException(sourcePath, $"tensor '{name}' is missing");
        if (t.Shape.Length != 3 || t.Shape[0] != count || t.Shape[1] != rows || t.Shape[2] != cols)
            throw new InvalidModelFileException(sourcePath, $"tensor '{name}' has shape [{string.Join(", ", t.Shape)}], expected [{count}, {rows}, {cols}] from the model's configuration");
        var values = new float[t.ElementCount];
        Dequantizer.Dequantize(t.Type, t.Bytes, values);
        return values;
    }
}
