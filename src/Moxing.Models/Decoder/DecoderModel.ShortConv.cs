using Moxing.Core.Kernels;

namespace Moxing.Models.Decoder;

// LFM2's gated short convolution: in_proj → B, C, x; B·x through the depthwise causal convolution, whose last Kernel − 1 inputs
// per channel each sequence keeps as recurrent state; C gates the result; out_proj.
public sealed partial class DecoderModel
{
    private void ShortConv(ShortConvWeights conv, int stateOffset, ReadOnlySpan<float> xn, int n, int slices, Span<float> output, BatchScratch s)
    {
        var h = Options.HiddenSize;
        Multiply(conv.InProj, xn, n, s.Fused.AsSpan(0, n * 3 * h));
        // The gated outputs overwrite the normed input in s.Normed, which in_proj has consumed.
        var job = new ShortConvJob(conv, Options.ShortConv!.Kernel, h, stateOffset, slices, s);
        WorkerPool.Shared.ParallelFor(h, ref job);
        Multiply(conv.OutProj, s.Normed, n, output);
    }
}

/// <summary>One step of a depthwise causal convolution channel, whose last taps − 1 inputs a sequence keeps (oldest first).</summary>
internal static class CausalConv
{
    /// <summary>The output for <paramref name="input"/> given the channel's kept inputs in <paramref name="past"/>, which then keep it.</summary>
    public static float Step(Span<float> past, ReadOnlySpan<float> kernel, float input, float bias)
    {
        var kept = past.Length;
        var sum = bias;
        for (var j = 0; j < kept; j++) sum += kernel[j] * past[j];
        sum += kernel[kept] * input;
        past[1..].CopyTo(past);
        past[kept - 1] = input;
        return sum;
    }
}

/// <summary>
/// One item per channel: for every slice, its tokens in order through the channel's convolution, reading and advancing the
/// sequence's state at <c>stateOffset</c> (the channel's last taps − 1 inputs B·x); writes C · conv into s.Normed.
/// </summary>
internal readonly struct ShortConvJob(ShortConvWeights w, int taps, int hidden, int stateOffset, int slices, BatchScratch s) : IParallelJob
{
    public void Execute(int start, int end)
    {
        var kept = taps - 1;
        for (var i = 0; i < slices; i++)
        {
            var state = s.Sequences[i]!.RecurrentState.Slice(stateOffset, hidden * kept);
            for (var t = s.SliceStart[i]; t < s.SliceStart[i + 1]; t++)
            {
                var bcx = s.Fused.AsSpan(t * 3 * hidden, 3 * hidden);
                var y = s.Normed.AsSpan(t * hidden, hidden);
                for (var c = start; c < end; c++)
                {
                    var sum = CausalConv.Step(state.Slice(c * kept, kept), w.Kernel.AsSpan(c * taps, taps), bcx[c] * bcx[2 * hidden + c], w.KernelBias?[c] ?? 0f);
                    y[c] = bcx[hidden + c] * sum;
                }
            }
        }
    }
}
