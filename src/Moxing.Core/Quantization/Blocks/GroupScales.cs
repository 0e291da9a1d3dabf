using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>The sixteen 16-bit group multipliers the K formats hand to the integer kernels (one per 16 weights).</summary>
internal static unsafe class GroupScales
{
    /// <summary>The sixteen group scales in chunk order: even groups (the first 16 codes of chunk c) at c, odd groups at 8 + c,
    /// so a chunk's pair is one in-lane byte shuffle away.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB ChunkOrder<L, TB, TS, TF>(Vector128<sbyte> groups)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        L.Widen(Vector128.Shuffle(groups, Vector128.Create((sbyte)0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15)), 1);

    /// <summary>Bytes 8..15 of <paramref name="codes"/> (minimums) each twice.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<sbyte> HighPairs(Vector128<byte> codes) =>
        Vector128.Shuffle(codes, Vector128.Create((byte)8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15)).AsSByte();
}
