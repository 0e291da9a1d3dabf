using System.Numerics.Tensors;
using Moxing.Core.Kernels;
using Moxing.Core.Ops;

namespace Moxing.Models.Decoder;

// Qwen3-Next's and Qwen3.5's Gated DeltaNet, token by token per sequence (transformers' torch_recurrent_gated_delta_rule, which
// the chunked form for prompts equals): in_proj_qkv → q·k·v through the causal convolution and SiLU; q, k L2-normed per key head;
// β = sigmoid(b), decay = exp(A·softplus(a + dt_bias)); per value head state ← decay·state, then state += k ⊗ β(v − stateᵀk), and
// the output stateᵀq/√dk; RMSNorm per value head times SiLU(z); out_proj. Within s.Fused a step holds [n, q·k·v], then z [n, value
// dim], β [n, value heads] and the decays [n, value heads]. A sequence's state at stateOffset holds the convolution's kept inputs
// [channels][taps − 1], then per value head its [key dim][value dim] state.
public sealed partial class DecoderModel
{
    private void DeltaNet(DeltaNetWeights w, int stateOffset, ReadOnlySpan<float> xn, int n, int slices, Span<float> output, BatchScratch s)
    {
        var d = Options.DeltaNet!;
        int channels = d.ConvChannels, heads = d.ValueHeads;
        var fused = s.Fused.AsSpan();
        Span<float> qkv = fused[..(n * channels)], z = fused.Slice(n * channels, n * d.ValueDim);
        Span<float> beta = fused.Slice(n * (channels + d.ValueDim), n * heads), decay = fused.Slice(n * (channels + d.ValueDim + heads), n * heads);
        Multiply(w.Qkv, xn, n, qkv);
        Multiply(w.Z, xn, n, z);
        if (w.BetaAlpha is { } fusedBa)
        {
            // Per token and key head: its value heads' b, then their a.
            var raw = s.DeltaOut.AsSpan(0, n * 2 * heads);
            Multiply(fusedBa, xn, n, raw);
            int perKey = heads / d.KeyHeads;
            for (var t = 0; t < n; t++)
                for (var h = 0; h < heads; h++)
                {
                    var at = t * 2 * heads + h / perKey * 2 * perKey + h % perKey;
                    (beta[t * heads + h], decay[t * heads + h]) = (raw[at], raw[at + perKey]);
                }
        }
        else
        {
            Multiply(w.Beta!, xn, n, beta);
            Multiply(w.Alpha!, xn, n, decay);
        }
        var conv = new DeltaConvJob(w, d, stateOffset, slices, s);
        WorkerPool.Shared.ParallelFor(channels, ref conv);
        var gates = new DeltaGatesJob(w, d, n, s);
        WorkerPool.Shared.ParallelFor(n, ref gates);
        var scan = new DeltaScanJob(d, n, stateOffset + (d.ConvKernel - 1) * channels, slices, s);
        WorkerPool.Shared.ParallelFor(heads, ref scan);
        var y = s.DeltaOut.AsSpan(0, n * d.ValueDim);
        w.Norm.Apply(y, y);
        Activations.Gated(Activation.Silu, z, y);
        Multiply(w.OutProj, z, n, output);
    }
}

/// <summary>One item per channel of q·k·v: every slice's tokens in order through the convolution (state at stateOffset), then SiLU, in place.</summary>
internal readonly struct DeltaConvJob(DeltaNetWeights w, DeltaNetOptions d, int stateOffset, int slices, BatchScratch s) : IParallelJob
{
    public void Execute(int start, int end)
    {
        int taps = d.ConvKernel, kept = taps - 1, channels = d.ConvChannels;
        for (var i = 0; i < slices; i++)
        {
            var kept0 = s.Sequences[i]!.RecurrentState.Slice(stateOffset, channels * kept);
            for (var c = start; c < end; c++)
            {
                var past = kept0.Slice(c * kept, kept);
                var kernel = w.ConvKernel.AsSpan(c * taps, taps);
                for (var t = s.SliceStart[i]; t < s.SliceStart[i + 1]; t++)
                {
                    ref var value = ref s.Fused[t * channels + c];
                    var sum = CausalConv.Step(past, kernel, value, 0f);
                    value = sum / (1 + MathF.Exp(-sum));
                }
            }
        }
    }
}

/// <summary>One item per token: q and k L2-normed per key head (q also ÷ √key dim), b → sigmoid(b), a → exp(A·softplus(a + dt_bias)).</summary>
internal readonly struct DeltaGatesJob(DeltaNetWeights w, DeltaNetOptions d, int n, BatchScratch s) : IParallelJob
{
    // transformers' l2norm (as FLA's): x / √(Σx² + 1e-6).
    private const float L2Eps = 1e-6f;

    public void Execute(int start, int end)
    {
        int channels = d.ConvChannels, dk = d.KeyHeadDim, heads = d.ValueHeads;
        var queryScale = 1 / MathF.Sqrt(dk);
        var gatesAt = n * (channels + d.ValueDim);
        for (var t = start; t < end; t++)
        {
            var row = s.Fused.AsSpan(t * channels, channels);
            for (var kh = 0; kh < d.KeyHeads; kh++)
            {
                Span<float> q = row.Slice(kh * dk, dk), k = row.Slice(d.KeyDim + kh * dk, dk);
                TensorPrimitives.Multiply(q, queryScale / MathF.Sqrt(TensorPrimitives.SumOfSquares(q) + L2Eps), q);
                TensorPrimitives.Multiply(k, 1 / MathF.Sqrt(TensorPrimitives.SumOfSquares(k) + L2Eps), k);
            }
            Span<float> beta = s.Fused.AsSpan(gatesAt + t * heads, heads), decay = s.Fused.AsSpan(gatesAt + (n + t) * heads, heads);
            TensorPrimitives.Sigmoid(beta, beta);
            for (var h = 0; h < heads; h++)
            {
                var raw = decay[h] + w.DtBias[h];
                // softplus, as torch computes it (linear above 20)
                decay[h] = MathF.Exp(w.A[h] * (raw > 20 ? raw : MathF.Log(1 + MathF.Exp(raw))));
            }
        }
    }
}

/// <summary>One item per value head: every slice's tokens in order through the head's state (at stateOffset); writes stateᵀq into s.DeltaOut.</summary>
internal readonly struct DeltaScanJob(DeltaNetOptions d, int n, int stateOffset, int slices, BatchScratch s) : IParallelJob
{
    [ThreadStatic] private static float[]? _correction;

    public void Execute(int start, int end)
    {
        int dk = d.KeyHeadDim, dv = d.ValueHeadDim, channels = d.ConvChannels, heads = d.ValueHeads;
        var betaAt = n * (channels + d.ValueDim);
        var correction = _correction is { } buffer && buffer.Length >= dv ? buffer : _correction = new float[dv];
        var delta = correction.AsSpan(0, dv);
        for (var i = 0; i < slices; i++)
            for (var h = start; h < end; h++)
            {
                var state = s.Sequences[i]!.RecurrentState.Slice(stateOffset + h * dk * dv, dk * dv);
                var kh = d.KeyHeadOf(h);
                for (var t = s.SliceStart[i]; t < s.SliceStart[i + 1]; t++)
                {
                    var row = s.Fused.AsSpan(t * channels, channels);
                    ReadOnlySpan<float> q = row.Slice(kh * dk, dk), k = row.Slice(d.KeyDim + kh * dk, dk), v = row.Slice(2 * d.KeyDim + h * dv, dv);
                    float beta = s.Fused[betaAt + t * heads + h], decay = s.Fused[betaAt + (n + t) * heads + h];
                    // delta = β(v − (decay·state)ᵀk), the state decayed on the way.
                    delta.Clear();
                    for (var r = 0; r < dk; r++)
                    {
                        var stateRow = state.Slice(r * dv, dv);
                        TensorPrimitives.Multiply(stateRow, decay, stateRow);
                        TensorPrimitives.MultiplyAdd(stateRow, k[r], delta, delta);
                    }
                    TensorPrimitives.Subtract(v, delta, delta);
                    TensorPrimitives.Multiply(delta, beta, delta);
                    var y = s.DeltaOut.AsSpan(t * d.ValueDim + h * dv, dv);
                    y.Clear();
                    for (var r = 0; r < dk; r++)
                    {
                        var stateRow = state.Slice(r * dv, dv);
                        TensorPrimitives.MultiplyAdd(delta, k[r], stateRow, stateRow);
                        TensorPrimitives.MultiplyAdd(stateRow, q[r], y, y);
                    }
                }
            }
    }
}
