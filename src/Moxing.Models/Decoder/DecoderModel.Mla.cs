using Moxing.Core.Kernels;

namespace Moxing.Models.Decoder;

// Multi-head latent attention (DeepSeek-V2/V3) in llama.cpp's absorbed form: the KV cache holds one row per token, the normed latent
// and the shared rotary key part; each head's query is taken into latent space (q_nope · W_UK), attends to the rows as MQA, and its
// attended latent becomes its value through W_UV. Every step takes this form, decode and prefill chunks of any length (as llama.cpp's
// does): a decompressed prefill (kv_b through every visible latent row, then attention at the heads' own widths) does fewer
// multiply-adds for long chunks, but rounds, and with a quantized kv_b quantizes activations, otherwise — a prompt split
// differently (a shared prefill budget, prefix reuse, recompute after preemption) would change its logits.
public sealed partial class DecoderModel
{
    /// <summary>
    /// Queries into Q ([n, heads, rank + rope]: per head q_nope · W_UK, then q_pe) and the rows to cache into K ([n, rank + rope]: the
    /// normed latent, then the shared rotary key part), the rotary parts not yet rotated.
    /// </summary>
    private void ProjectLatent(AttentionWeights a, MlaWeights w, ReadOnlySpan<float> xn, int n, BatchScratch s)
    {
        var mla = Options.Mla!;
        int heads = Options.HeadCount, hd = Options.HeadDim, rank = mla.KvLoraRank, rope = mla.RopeDim, row = rank + rope, nope = hd - rope;
        int qRank = mla.QLoraRank, queries = n * qRank;
        var raw = s.Fused.AsSpan(queries, n * heads * hd);
        if (w.QA != null)
        {
            var latent = s.Fused.AsSpan(0, queries);
            Multiply(w.QA, xn, n, latent);
            w.QANorm!.Apply(latent, latent);
            Multiply(w.QB!, latent, n, raw);
        }
        else Multiply(a.Q!, xn, n, raw);
        var k = s.K.AsSpan(0, n * row);
        Multiply(w.KvA, xn, n, k);
        for (var t = 0; t < n; t++) w.KvANorm.Apply(k.Slice(t * row, rank), k.Slice(t * row, rank));
        var absorb = new HeadProductJob(w.KeyHeads, !w.KeysByLatent, new(s.Fused, queries, heads * hd, hd, nope), new(s.Q, 0, heads * row, row, rank), n);
        WorkerPool.Shared.ParallelFor(heads, ref absorb);
        for (var t = 0; t < n; t++)
            for (var h = 0; h < heads; h++)
                raw.Slice((t * heads + h) * hd + nope, rope).CopyTo(s.Q.AsSpan((t * heads + h) * row + rank, rope));
    }

    /// <summary>Each head's value, W_UV times its attended latent (AttentionOut, [n, heads, rank]), into V ([n, heads, value dims]).</summary>
    private Span<float> LatentValues(MlaWeights w, int n, BatchScratch s)
    {
        int heads = Options.HeadCount, rank = Options.Mla!.KvLoraRank, vd = Options.ValueDim;
        var expand = new HeadProductJob(w.ValueHeads, false, new(s.AttentionOut, 0, heads * rank, rank, rank), new(s.V, 0, heads * vd, vd, vd), n);
        WorkerPool.Shared.ParallelFor(heads, ref expand);
        return s.V.AsSpan(0, n * heads * vd);
    }
}
