using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// A 256-weight lattice format (IQ1, IQ2, IQ3): 8 groups of 32 signed integer codes, an integer scale per half group and one
/// factor per block, w = <see cref="IQ8KDot.Scale"/> · scale · code — the integer form ggml's vec_dot multiplies with q8_K
/// activations.
/// </summary>
internal unsafe interface IGridBlock : IQ8KDot
{
    /// <summary>Group <paramref name="ib"/>'s 32 codes as four words of eight signed bytes.</summary>
    static abstract void Group(byte* block, int ib, out ulong a, out ulong b, out ulong c, out ulong d);

    /// <summary>The integer scales of the eight groups' first halves (byte ib of <paramref name="first"/>) and second halves.</summary>
    static abstract void GroupScales(byte* block, out ulong first, out ulong second);
}

/// <summary>The <see cref="IQ8KDot"/> members every <see cref="IGridBlock"/> builds the same way.</summary>
internal static unsafe class GridChunks
{
    /// <summary>Chunk <paramref name="c"/>: group c's codes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Chunk<F, L, TB, TS, TF>(byte* block, int c)
        where F : struct, IGridBlock where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        F.Group(block, c, out var a, out var b, out var e, out var f);
        return L.FromLongs(a, b, e, f);
    }

    /// <summary>The half-group scales as <see cref="IQ8KDot.Scales"/> orders them; no minimums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Scales<F, L, TB, TS, TF>(byte* block, out TB minimums)
        where F : struct, IGridBlock where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        minimums = default;
        F.GroupScales(block, out var first, out var second);
        return L.Widen(Vector128.Create(first, second).AsSByte(), 1);
    }
}
