using System.Numerics.Tensors;
using Moxing.Models.Layers;

namespace Moxing.Models.Decoder;

// Qwen3-Next's and Qwen3.5's gated attention: q_proj gives each head its queries, then as many gate logits; the attention output
// is multiplied by their sigmoid before o_proj.
public sealed partial class DecoderModel
{
    // q_proj into `fused`, each head's first half to q and second half to s.AttentionGate; k and v as usual.
    private void ProjectGated(AttentionWeights a, ReadOnlySpan<float> xn, int n, Span<float> q, Span<float> k, Span<float> v, BatchScratch s)
    {
        int hd = Options.HeadDim, qDim = Options.HeadCount * hd;
        var both = s.Fused.AsSpan(0, 2 * n * qDim);
        Multiply(a.Q!, xn, n, both);
        var gate = s.AttentionGate.AsSpan();
        for (var t = 0; t < n; t++)
            for (var h = 0; h < Options.HeadCount; h++)
            {
                var head = both.Slice((t * Options.HeadCount + h) * 2 * hd, 2 * hd);
                head[..hd].CopyTo(q.Slice(t * qDim + h * hd, hd));
                head[hd..].CopyTo(gate.Slice(t * qDim + h * hd, hd));
            }
        Observe(a.K!, xn, n);
        Observe(a.V!, xn, n);
        Linear.Forward(xn, n, a.K!, k, a.V!, v);
    }

    private static void GateAttention(Span<float> attended, Span<float> gate)
    {
        TensorPrimitives.Sigmoid(gate, gate);
        TensorPrimitives.Multiply(attended, gate, attended);
    }
}
