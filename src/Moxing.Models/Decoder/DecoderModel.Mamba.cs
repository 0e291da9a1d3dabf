using System.Numerics.Tensors;
using Moxing.Core.Kernels;

namespace Moxing.Models.Decoder;

// Granite 4.0 hybrid's Mamba2 mixer, token by token per sequence (the recurrence transformers' torch_forward and llama.cpp's
// ssm_scan compute): in_proj → z, x·B·C, dt; x·B·C through the causal convolution and SiLU; per head the state decays by
// exp(softplus(dt + dt_bias)·A) and takes dt·x·Bᵀ, y = state·C + D·x; y·SiLU(z) through the grouped RMSNorm (where the mixer has
// one); out_proj. Falcon-H1 multiplies in_proj's parts and the output.
// A sequence's state at stateOffset holds the convolution's kept inputs [channels][taps − 1], then the SSM state [inner][state].
public sealed partial class DecoderModel
{
    private void Mamba(MambaWeights w, int stateOffset, ReadOnlySpan<float> xn, int n, int slices, Span<float> output, BatchScratch s)
    {
        var m = Options.Mamba!;
        Multiply(w.InProj, xn, n, s.Fused.AsSpan(0, n * m.InProjWidth));
        if (m.InProjScales.Length > 0) ScaleInProj(m, s.Fused.AsSpan(0, n * m.InProjWidth), n);
        var conv = new MambaConvJob(w, m, stateOffset, slices, s);
        WorkerPool.Shared.ParallelFor(m.ConvChannels, ref conv);
        if (m.Selective)
        {
            SelectiveScan(w, m, stateOffset + (m.ConvKernel - 1) * m.ConvChannels, n, slices, output, s);
            return;
        }
        var scan = new MambaScanJob(w, m, stateOffset + (m.ConvKernel - 1) * m.ConvChannels, slices, s);
        WorkerPool.Shared.ParallelFor(m.Heads, ref scan);
        var inner = s.MambaInner.AsSpan(0, n * m.Inner);
        w.Norm?.Apply(inner, inner);
        Multiply(w.OutProj, inner, n, output);
        if (m.OutputScale != 1f) TensorPrimitives.Multiply(output[..(n * Options.HiddenSize)], m.OutputScale, output[..(n * Options.HiddenSize)]);
    }

    // Falcon-H1's mup vector: each of in_proj's parts (z, x, B, C, dt) of every token times its multiplier.
    private static void ScaleInProj(MambaOptions m, Span<float> projected, int n)
    {
        int groupStates = m.Groups * m.StateSize;
        Span<int> ends = [m.Inner, 2 * m.Inner, 2 * m.Inner + groupStates, 2 * m.Inner + 2 * groupStates, m.InProjWidth];
        for (var t = 0; t < n; t++)
        {
            var row = projected.Slice(t * m.InProjWidth, m.InProjWidth);
            for (int part = 0, start = 0; part < ends.Length; start = ends[part++])
                TensorPrimitives.Multiply(row[start..ends[part]], m.InProjScales[part], row[start..ends[part]]);
        }
    }
}

/// <summary>One item per channel of x·B·C (Mamba 1: x): every slice's tokens in order through the convolution (state at stateOffset), then SiLU, in place in s.Fused.</summary>
internal readonly struct MambaConvJob(MambaWeights w, MambaOptions m, int stateOffset, int slices, BatchScratch s) : IParallelJob
{
    public void Execute(int start, int end)
    {
        int kept = m.ConvKernel - 1, channels = m.ConvChannels, width = m.InProjWidth;
        for (var i = 0; i < slices; i++)
        {
            var state = s.Sequences[i]!.RecurrentState.Slice(stateOffset, channels * kept);
            for (var t = s.SliceStart[i]; t < s.SliceStart[i + 1]; t++)
            {
                var xbc = s.Fused.AsSpan(t * width + m.ConvOffset, channels);
                for (var c = start; c < end; c++)
                {
                    var v = CausalConv.Step(state.Slice(c * kept, kept), w.ConvKernel.AsSpan(c * m.ConvKernel, m.ConvKernel), xbc[c], w.ConvBias?[c] ?? 0f);
                    xbc[c] = v / (1 + MathF.Exp(-v));
                }
            }
        }
    }
}

/// <summary>One item per head: every slice's tokens in order through the head's state (at stateOffset); writes y·SiLU(z) into s.MambaInner.</summary>
internal readonly struct MambaScanJob(MambaWeights w, MambaOptions m, int stateOffset, int slices, BatchScratch s) : IParallelJob
{
    public void Execute(int start, int end)
    {
        int p = m.HeadDim, n = m.StateSize, inner = m.Inner, width = m.InProjWidth, perGroup = m.Heads / m.Groups;
        var dtBias = w.DtBias!;
        for (var i = 0; i < slices; i++)
        {
            var state = s.Sequences[i]!.RecurrentState.Slice(stateOffset, inner * n);
            for (var t = s.SliceStart[i]; t < s.SliceStart[i + 1]; t++)
            {
                var row = s.Fused.AsSpan(t * width, width);
                var xbc = row.Slice(inner, m.ConvChannels);
                var y = s.MambaInner.AsSpan(t * inner, inner);
                for (var h = start; h < end; h++)
                {
                    var g = h / perGroup;
                    ReadOnlySpan<float> b = xbc.Slice(inner + g * n, n), c = xbc.Slice(inner + (m.Groups + g) * n, n);
                    var raw = row[inner + m.ConvChannels + h] + dtBias[h];
                    var dt = DecoderModel.Softplus(raw);
                    var decay = MathF.Exp(dt * w.A[h]);
                    for (var q = h * p; q < (h + 1) * p; q++)
                    {
                        var x = xbc[q];
                        var st = state.Slice(q * n, n);
                        TensorPrimitives.Multiply(st, decay, st);
                        TensorPrimitives.MultiplyAdd(b, dt * x, st, st);
                        var z = row[q];
                        y[q] = (TensorPrimitives.Dot(st, c) + w.D[h] * x) * (z / (1 + MathF.Exp(-z)));
                    }
                }
            }
        }
    }
}
