using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// A 256-weight lattice format (IQ1, IQ2, IQ3): 8 groups of 32 signed integer codes, an integer scale per half group and one
/// factor per block, w = <see cref="IQ8KDot.Scale"/> · scale · code — the integer form ggml's vec_dot multiplies with q8_K
/// activations. The <see cref="IQ8KDot"/> members all such formats build alike are implemented here from
/// <see cref="Levels"/>, <see cref="Negative"/> and <see cref="GroupScale"/>.
/// </summary>
internal unsafe interface IGridBlock<TSelf> : IQ8KDot where TSelf : struct, IGridBlock<TSelf>
{
    /// <summary>Group <paramref name="ib"/>'s 32 code magnitudes, gathered from the grid table; with <see cref="Eighths"/> the
    /// codes themselves, signed.</summary>
    static abstract TB Levels<L, TB, TS, TF>(byte* block, int ib)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct;

    /// <summary>Which of group <paramref name="ib"/>'s codes are negative: 0xFF bytes (<see cref="IqGrids.SignMasks"/>), else 0;
    /// none for <see cref="Eighths"/> formats.</summary>
    static virtual TB Negative<L, TB, TS, TF>(byte* block, int ib)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct => default;

    /// <summary>The integer scales of group <paramref name="ib"/>'s two halves.</summary>
    static abstract (int First, int Second) GroupScale(byte* block, int ib);

    /// <summary>Group <paramref name="ib"/>'s two half scales as floats, in ggml's dequantize order of operations.</summary>
    static abstract (float First, float Second) DecodeScale(byte* block, int ib);

    /// <summary>True when the codes are eighths of the levels (IQ1's 8·level ± 1), signed in <see cref="Levels"/>.</summary>
    static virtual bool Eighths => false;

    /// <summary>Group <paramref name="ib"/>'s 32 signed codes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static TB Codes<L, TB, TS, TF>(byte* block, int ib)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var levels = TSelf.Levels<L, TB, TS, TF>(block, ib);
        return TSelf.Eighths ? levels : L.Negated(levels, TSelf.Negative<L, TB, TS, TF>(block, ib));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void IBlockFormat.Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
    {
        for (var ib = 0; ib < 8; ib++)
        {
            var codes = Codes<ScalarByteLanes, Bytes32, int, float>(block, ib);
            var (first, second) = TSelf.DecodeScale(block, ib);
            IqGrids.Emit<S, TF, TI, TSink>((byte*)&codes, 32 * ib, S.Broadcast(first), S.Broadcast(second), TSelf.Eighths, ref sink);
        }
    }

    static bool IQ8KDot.SignedCodes => true;

    // as every signed format: the panel tiles never assume a narrower range than a signed byte's
    static int IQ8KDot.LargestCode => 127;

    static KMins IQ8KDot.Mins => KMins.None;

    static float IQ8KDot.MinScale(byte* block) => 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static TB IQ8KDot.Chunk<L, TB, TS, TF>(byte* block, int c) => Codes<L, TB, TS, TF>(block, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void IQ8KDot.Quad<L, TB, TS, TF>(byte* block, int h, out TB c0, out TB c1, out TB c2, out TB c3) =>
        ChunkQuads.Separate<TSelf, L, TB, TS, TF>(block, h, out c0, out c1, out c2, out c3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static TB IQ8KDot.Scales<L, TB, TS, TF>(byte* block, out TB minimums)
    {
        minimums = default;
        ulong first = 0, second = 0;
        for (var ib = 0; ib < 8; ib++)
        {
            var (a, b) = TSelf.GroupScale(block, ib);
            first |= (ulong)a << (8 * ib);
            second |= (ulong)b << (8 * ib);
        }
        return L.Widen(Vector128.Create(first, second).AsSByte(), 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static TB IQ8KDot.PairScales<L, TB, TS, TF>(byte* a, byte* b, out TB minimumsA, out TB scalesB, out TB minimumsB) =>
        ChunkQuads.SeparateScales<TSelf, L, TB, TS, TF>(a, b, out minimumsA, out scalesB, out minimumsB);
}
