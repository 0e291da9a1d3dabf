namespace Moxing.Models.Decoder;

// Multi-head latent attention (DeepSeek-V2/V3): queries, keys and values from their low-rank projections, keys and values
// decompressed per head (what the KV cache stores; caching the latent itself is an optimisation not made here).
public sealed partial class DecoderModel
{
    /// <summary>
    /// q [n, heads · head_dim], k [n, heads · head_dim] (per head its kv_b key part, then the shared rotary part, both unrotated)
    /// and v [n, heads · value_dim] of <paramref name="n"/> tokens; <paramref name="fused"/> holds the latents.
    /// </summary>
    private void ProjectLatent(AttentionWeights a, MlaWeights w, ReadOnlySpan<float> xn, int n, Span<float> q, Span<float> k, Span<float> v, float[] fused)
    {
        var o = Options;
        var mla = o.Mla!;
        int heads = o.HeadCount, hd = o.HeadDim, vd = o.ValueDim, rank = mla.KvLoraRank, rope = mla.RopeDim, nope = hd - rope;
        var buffer = fused.AsSpan();
        var qRank = mla.QLoraRank;
        if (w.QA != null)
        {
            var latent = buffer[..(n * qRank)];
            Multiply(w.QA, xn, n, latent);
            w.QANorm!.Apply(latent, latent);
            Multiply(w.QB!, latent, n, q);
        }
        else Multiply(a.Q!, xn, n, q);
        var compressed = buffer.Slice(n * qRank, n * (rank + rope));
        Multiply(w.KvA, xn, n, compressed);
        var normed = buffer.Slice(n * (qRank + rank + rope), n * rank);
        for (var t = 0; t < n; t++) compressed.Slice(t * (rank + rope), rank).CopyTo(normed.Slice(t * rank, rank));
        w.KvANorm.Apply(normed, normed);
        var kv = buffer.Slice(n * (qRank + 2 * rank + rope), n * heads * (nope + vd));
        Multiply(w.KvB, normed, n, kv);
        for (var t = 0; t < n; t++)
        {
            var shared = compressed.Slice(t * (rank + rope) + rank, rope);
            for (var head = 0; head < heads; head++)
            {
                var row = kv.Slice((t * heads + head) * (nope + vd), nope + vd);
                var key = k.Slice((t * heads + head) * hd, hd);
                row[..nope].CopyTo(key);
                shared.CopyTo(key[nope..]);
                row[nope..].CopyTo(v.Slice((t * heads + head) * vd, vd));
            }
        }
    }
}
