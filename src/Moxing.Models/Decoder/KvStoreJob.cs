using System.Numerics.Tensors;
using Moxing.Core.Kernels;
using Moxing.Core.Ops;

namespace Moxing.Models.Decoder;

/// <summary>One item per token of a step: per-head norms and rotary embedding of q and k (in the order DecoderOptions.QkNormAfterRope says; or the temperature of unrotated queries), then k and v (normed where DecoderOptions.ValueNorm says) stored (encoded) into the token's block, in the pool's layer <c>kvLayer</c> (the model's storing layers counted alone); a layer sharing another's keys and values prepares its queries alone; MLA stores its one latent row, keys and values at once.</summary>
internal readonly struct KvStoreJob(DecoderOptions o, AttentionWeights a, int layer, int kvLayer, BatchScratch s) : IParallelJob
{
    public void Execute(int start, int end)
    {
        // Widths are the cache's (DecoderOptions.CacheShapeOf): MLA's absorbed queries and its one latent key row per token are wider than its heads.
        var cache = o.CacheShapeOf(layer);
        int hd = cache.HeadDim, vd = o.ValueDimOf(layer), kvHeads = cache.KvHeads, qDim = o.HeadCount * hd, kvDim = kvHeads * hd;
        var stores = o.StoresKv(layer);
        var ropes = !o.Rotates(layer) ? null : o.UsesSlidingRope(layer) ? s.SliceSlidingRope : s.SliceRope;
        for (var t = start; t < end; t++)
        {
            var qt = s.Q.AsSpan(t * qDim, qDim);
            var kt = s.K.AsSpan(t * kvDim, kvDim);
            var vt = s.V.AsSpan(t * kvHeads * vd, kvHeads * vd);
            var pos = s.Positions[t];
            var rope = ropes?[s.SliceOf[t]];
            if (!o.QkNormAfterRope) Norms(a, qt, kt);
            if (!stores)
            {
                if (rope != null) Rotate(rope, qt, hd, t, pos);
                continue;
            }
            if (rope != null && o.Mla is { } mla)
            {
                // MLA rotates the last RopeDim dimensions of every query and key head.
                for (var h = 0; h < o.HeadCount; h++) rope.Apply(qt.Slice(h * hd + hd - mla.RopeDim, mla.RopeDim), mla.RopeDim, pos);
                for (var h = 0; h < kvHeads; h++) rope.Apply(kt.Slice(h * hd + hd - mla.RopeDim, mla.RopeDim), mla.RopeDim, pos);
            }
            else if (rope != null)
            {
                Rotate(rope, qt, hd, t, pos);
                Rotate(rope, kt, hd, t, pos);
            }
            if (o.QkNormAfterRope) Norms(a, qt, kt);
            // Llama 4's temperature tuning of the layers without RoPE: 1 until position floor − 1, then slowly growing.
            if (ropes == null && o.TemperatureFloor > 0)
                TensorPrimitives.Multiply(qt, MathF.Log(MathF.Floor((pos + 1f) / o.TemperatureFloor) + 1) * o.TemperatureScale + 1, qt);
            a.VNorm?.Apply(vt, vt);
            var sequence = s.Sequences[s.SliceOf[t]]!;
            var pool = sequence.Pool;
            var block = sequence.BlockOf(pos);
            int keyBytes = pool.RowBytesOf(kvLayer), valueBytes = pool.ValueRowBytesOf(kvLayer);
            int keyRow = pos % pool.BlockSize * keyBytes, valueRow = pos % pool.BlockSize * valueBytes;
            for (var g = 0; g < kvHeads; g++)
            {
                AttentionRows.Encode(pool.Type, kt.Slice(g * hd, hd), pool.Keys(block, kvLayer, g).Slice(keyRow, keyBytes));
                if (!cache.ValuesInKeys)
                    AttentionRows.Encode(pool.Type, vt.Slice(g * vd, vd), pool.Values(block, kvLayer, g).Slice(valueRow, valueBytes));
            }
        }
    }

    // M-RoPE rotates by the step's (t, h, w) positions, which differ from the cache slot after an image; others by the slot.
    private void Rotate(RopeTable rope, Span<float> heads, int hd, int t, int pos)
    {
        var rotary = s.RotaryPositions;
        if (rotary.Length > 0 && rope.Config.Sections != null) rope.Apply(heads, hd, rotary[3 * t], rotary[3 * t + 1], rotary[3 * t + 2]);
        else rope.Apply(heads, hd, pos);
    }

    private static void Norms(AttentionWeights a, Span<float> q, Span<float> k)
    {
        a.QNorm?.Apply(q, q);
        a.KNorm?.Apply(k, k);
    }
}
