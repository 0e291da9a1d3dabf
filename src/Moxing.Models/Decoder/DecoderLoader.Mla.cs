using Moxing.Core;
using Moxing.Core.Tensors;

namespace Moxing.Models.Decoder;

// The multi-head latent attention part of the loader: the low-rank projections, and each head's key and value blocks of kv_b as
// views of the file's kv_b or of llama.cpp's split attn_k_b / attn_v_b (nothing copied).
public sealed partial class DecoderLoader
{
    private AttentionWeights LatentAttention(int layer)
    {
        var o = options;
        var mla = o.Mla!;
        int h = o.HiddenSize, q = o.HeadCount * o.HeadDim, rank = mla.QLoraRank;
        var (keys, byLatent, values) = LatentHeads(layer, mla);
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
                KeyHeads = keys,
                KeysByLatent = byLatent,
                ValueHeads = values,
            },
        };
    }

    // Per head: from kv_b [heads · (nope + value), rank] its nope key rows and its value rows; from attn_k_b [heads, rank, nope] and
    // attn_v_b [heads, value, rank] (the current converter; kv_b where a file has both) each head's matrix.
    private (StoredTensor[] Keys, bool ByLatent, StoredTensor[] Values) LatentHeads(int layer, MlaOptions mla)
    {
        var o = options;
        int heads = o.HeadCount, rank = mla.KvLoraRank, nope = o.HeadDim - mla.RopeDim, vd = o.ValueDim;
        if (Find(names.KvB, layer) != null || names.KB == null || names.VB == null)
        {
            var kvB = Require(names.KvB!, heads * (nope + vd), rank, layer);
            return (Heads(kvB, heads, nope + vd, 0, nope), false, Heads(kvB, heads, nope + vd, nope, vd));
        }
        var kB = Stack(names.KB, layer, heads, rank, nope);
        var vB = Stack(names.VB, layer, heads, vd, rank);
        return (Heads(kB, heads, rank, 0, rank), true, Heads(vB, heads, vd, 0, vd));
    }

    // Rows [first, first + count) of each head's `per` rows of t, as [count, row length] views.
    private static StoredTensor[] Heads(StoredTensor t, int heads, int per, int first, int count)
    {
        var views = new StoredTensor[heads];
        for (var head = 0; head < heads; head++)
            unsafe
            {
                views[head] = new StoredTensor($"{t.Name}[{head}]", t.Type, [count, t.RowLength], t.Data + (head * (long)per + first) * t.RowBytes, count * t.RowBytes);
            }
        return views;
    }

    // A [count, rows, cols] tensor as stored.
    private StoredTensor Stack(string pattern, int layer, int count, int rows, int cols)
    {
        var name = DecoderTensorNames.ForLayer(pattern, layer);
        var t = _tensors.Find(name) ?? throw new InvalidModelFileException(sourcePath, $"tensor '{name}' is missing");
        if (t.Shape.Length != 3 || t.Shape[0] != count || t.Shape[1] != rows || t.Shape[2] != cols)
            throw new InvalidModelFileException(sourcePath, $"tensor '{name}' has shape [{string.Join(", ", t.Shape)}], expected [{count}, {rows}, {cols}] from the model's configuration");
        return t;
    }
}
