using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;
using Moxing.Core.Quantization.Blocks;

namespace Moxing.Core.Kernels;

/// <summary>Multiplies decoded weights into the activations at <see cref="X"/> as they come, with one accumulator per stream.</summary>
internal unsafe struct DotSink<S, TF, TI>(float* x) : IWeightSink<TF>
    where S : struct, ILanes<TF, TI>
    where TF : struct
    where TI : struct
{
    /// <summary>Activations of the current block's first weight.</summary>
    public float* X = x;

    private TF _a0 = S.Zero, _a1 = S.Zero, _a2 = S.Zero, _a3 = S.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Scaled(nint index, TF q, TF scale, int stream) => Accumulate(S.Multiply(q, scale), index, stream);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ScaledOffset(nint index, TF q, TF scale, TF offset, int stream) =>
        Accumulate(S.MultiplyAdd(q, scale, offset), index, stream);

    /// <summary>The dot product so far.</summary>
    public readonly float Total
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => S.Sum(S.Add(S.Add(_a0, _a1), S.Add(_a2, _a3)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Accumulate(TF w, nint index, int stream)
    {
        // the activation load stays inside each case so the JIT folds it into the FMA as a memory operand
        switch (stream)
        {
            case 0: _a0 = S.MultiplyAdd(w, S.Load(X + index), _a0); break;
            case 1: _a1 = S.MultiplyAdd(w, S.Load(X + index), _a1); break;
            case 2: _a2 = S.MultiplyAdd(w, S.Load(X + index), _a2); break;
            default: _a3 = S.MultiplyAdd(w, S.Load(X + index), _a3); break;
        }
    }
}
