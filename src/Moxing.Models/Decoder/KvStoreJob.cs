using Moxing.Core.Kernels;
using Moxing.Core.Ops;

namespace Moxing.Models.Decoder;

/// <summary>One item per token of a step: per-head norms and rotary embedding of q and k (in the order DecoderOptions.QkNormAfterRope says), then k and v stored (encoded) into the token's block.</summary>
internal readonly struct KvStoreJob(DecoderOptions o, AttentionWeights a, int layer, BatchScratch s) : IParallelJob
{
    public void Execute(int start, int end)
    {
        int hd = o.HeadDim, qDim = o.HeadCount * hd, kvDim = o.KvHeadCount * hd;
        var ropes = !o.Rotates(layer) ? null : o.UsesSlidingRope(layer) ? s.SliceSlidingRope : s.SliceRope;
        for (var t = start; t < end; t++)
        {
            var qt = s.Q.AsSpan(t * qDim, qDim);
            var kt = s.K.AsSpan(t * kvDim, kvDim);
            var vt = s.V.AsSpan(t * kvDim, kvDim);
            var pos = s.Positions[t];
            var rope = ropes?[s.SliceOf[t]];
            if (!o.QkNormAfterRope) Norms(a, qt, kt);
            rope?.Apply(qt, hd, pos);
            rope?.Apply(kt, hd, pos);
            if (o.QkNormAfterRope) Norms(a, qt, kt);
            var sequence = s.Sequences[s.SliceOf[t]]!;
            var pool = sequence.Pool;
            var block = sequence.BlockOf(pos);
            var row = pos % pool.BlockSize * pool.RowBytes;
            for (var g = 0; g < o.KvHeadCount; g++)
            {
                AttentionRows.Encode(pool.Type, kt.Slice(g * hd, hd), pool.Keys(block, layer, g).Slice(row, pool.RowBytes));
                AttentionRows.Encode(pool.Type, vt.Slice(g * hd, hd), pool.Values(block, layer, g).Slice(row, pool.RowBytes));
            }
        }
    }

    private static void Norms(AttentionWeights a, Span<float> q, Span<float> k)
    {
        a.QNorm?.Apply(q, q);
        a.KNorm?.Apply(k, k);
    }
}
