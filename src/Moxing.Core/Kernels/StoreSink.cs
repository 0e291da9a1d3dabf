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
    public readonly void Scaled(int index, TF q, float scale, int stream) =>
        S.Store(Dst + index, S.Multiply(q, S.Broadcast(scale)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void ScaledOffset(int index, TF q, float scale, float offset, int stream) =>
        S.Store(Dst + index, S.Add(S.Multiply(q, S.Broadcast(scale)), S.Broadcast(offset)));
}
