using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;
using Moxing.Core.Quantization.Blocks;

namespace Moxing.Core.Kernels;

/// <summary>Writes decoded weights to <see cref="Dst"/>, multiplying and adding separately so values equal ggml's bit for bit.</summary>
internal unsafe struct StoreSink<S, TF, TI>(float* dst) : IWeightSink<TF>
    where S : struct, ILanes<TF, TI>
    where TF : struct
    where TI : struct
{
    /// <summary>Where the current block's first weight goes.</summary>
    public float* Dst = dst;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Scaled(nint index, TF q, TF scale, int stream) => S.Store(Dst + index, S.Multiply(q, scale));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void ScaledOffset(nint index, TF q, TF scale, TF offset, int stream) =>
        S.Store(Dst + index, S.Add(S.Multiply(q, scale), offset));
}
