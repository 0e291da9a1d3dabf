using System.Numerics.Tensors;
using Moxing.Core.Kernels;

namespace Moxing.Models.Decoder;

// Mamba 1's selective scan (transformers' MambaMixer.slow_forward, llama.cpp's ssm_scan with heads of one channel), after in_proj
// (x, z) and the convolution of x with SiLU: x_proj gives each token's time-step inputs, B and C, RMS-normed where the model norms
// them (Falcon-Mamba, Jamba); dt_proj with its bias gives each channel's time step, through softplus; each channel's state row decays
// by exp(dt·A) per state and takes dt·x·B; y = state·C + D·x, times SiLU(z); out_proj.
public sealed partial class DecoderModel
{
    private void SelectiveScan(MambaWeights w, MambaOptions m, int stateOffset, int n, int slices, Span<float> output, BatchScratch s)
    {
        int inner = m.Inner, width = m.InProjWidth, rank = m.TimeStepRank, selection = m.SelectionWidth, states = m.StateSize;
        // x_proj reads the convolved x of every token as one matrix; the scan then overwrites it with y, which out_proj reads.
        var x = s.MambaInner.AsSpan(0, n * inner);
        for (var t = 0; t < n; t++) s.Fused.AsSpan(t * width, inner).CopyTo(x.Slice(t * inner, inner));
        var selected = s.MambaSelection.AsSpan(0, n * selection);
        Multiply(w.XProj!, x, n, selected);
        var lowRank = s.MambaLowRank.AsSpan(0, n * rank);
        for (var t = 0; t < n; t++)
        {
            var row = selected.Slice(t * selection, selection);
            var dt = lowRank.Slice(t * rank, rank);
            if (w.SelectionNorms is not { } norms)
            {
                row[..rank].CopyTo(dt);
                continue;
            }
            norms.TimeStep.Apply(row[..rank], dt);
            norms.B.Apply(row.Slice(rank, states), row.Slice(rank, states));
            norms.C.Apply(row.Slice(rank + states, states), row.Slice(rank + states, states));
        }
        Multiply(w.DtProj!, lowRank, n, s.MambaSteps.AsSpan(0, n * inner));
        var scan = new SelectiveScanJob(w, m, stateOffset, slices, s);
        WorkerPool.Shared.ParallelFor(inner, ref scan);
        Multiply(w.OutProj, x, n, output);
    }

    /// <summary>softplus as torch computes it (linear above 20).</summary>
    internal static float Softplus(float v) => v > 20 ? v : MathF.Log(1 + MathF.Exp(v));
}

/// <summary>One item per inner channel: every slice's tokens in order through the channel's state row (at stateOffset); writes y·SiLU(z) into s.MambaInner.</summary>
internal readonly struct SelectiveScanJob(MambaWeights w, MambaOptions m, int stateOffset, int slices, BatchScratch s) : IParallelJob
{
    // The decays exp(dt·A) of a channel's states are computed this many at a time.
    private const int Chunk = 64;

    public void Execute(int start, int end)
    {
        int n = m.StateSize, inner = m.Inner, width = m.InProjWidth, selection = m.SelectionWidth, rank = m.TimeStepRank;
        Span<float> decay = stackalloc float[Chunk];
        for (var i = 0; i < slices; i++)
        {
            var state = s.Sequences[i]!.RecurrentState.Slice(stateOffset, inner * n);
            for (var t = s.SliceStart[i]; t < s.SliceStart[i + 1]; t++)
            {
                var row = s.Fused.AsSpan(t * width, width);
                var selected = s.MambaSelection.AsSpan(t * selection, selection);
                ReadOnlySpan<float> b = selected.Slice(rank, n), c = selected.Slice(rank + n, n);
                var steps = s.MambaSteps.AsSpan(t * inner, inner);
                var y = s.MambaInner.AsSpan(t * inner, inner);
                for (var q = start; q < end; q++)
                {
                    float dt = DecoderModel.Softplus(steps[q]), x = row[q], z = row[inner + q];
                    var st = state.Slice(q * n, n);
                    Advance(st, w.A.AsSpan(q * n, n), b, dt, dt * x, decay);
                    y[q] = (TensorPrimitives.Dot(st, c) + w.D[q] * x) * (z / (1 + MathF.Exp(-z)));
                }
            }
        }
    }

    // state ← state · exp(dt · a) + dtx · b, the decays through `decay` a chunk at a time.
    private static void Advance(Span<float> state, ReadOnlySpan<float> a, ReadOnlySpan<float> b, float dt, float dtx, Span<float> decay)
    {
        for (var k = 0; k < state.Length; k += decay.Length)
        {
            var length = Math.Min(decay.Length, state.Length - k);
            var d = decay[..length];
            var part = state.Slice(k, length);
            TensorPrimitives.Multiply(a.Slice(k, length), dt, d);
            TensorPrimitives.Exp(d, d);
            TensorPrimitives.Multiply(part, d, part);
            TensorPrimitives.MultiplyAdd(b.Slice(k, length), dtx, part, part);
        }
    }
}
