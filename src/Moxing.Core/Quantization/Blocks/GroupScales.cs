using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>The sixteen 16-bit group multipliers the K formats hand to the integer kernels (one per 16 weights).</summary>
internal static unsafe class GroupScales
{
    /// <summary>Writes the sixteen group scales in chunk order: even groups (the first 16 codes of chunk c) at c, odd groups at 8 + c,
    /// so a chunk's pair is one in-lane byte shuffle away.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreChunkOrder(Vector128<sbyte> groups, short* dst) =>
        Store(Vector128.Shuffle(groups, Vector128.Create((sbyte)0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15)), dst);

    /// <summary>Writes sixteen signed byte values as shorts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<sbyte> values, short* dst)
    {
        Vector128.WidenLower(values).Store(dst);
        Vector128.WidenUpper(values).Store(dst + 8);
    }

    /// <summary>Writes sixteen signed byte values times <paramref name="factor"/> as shorts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<sbyte> values, short factor, short* dst)
    {
        (Vector128.WidenLower(values) * factor).Store(dst);
        (Vector128.WidenUpper(values) * factor).Store(dst + 8);
    }

    /// <summary>Bytes 0..7 of <paramref name="codes"/> (scales) each twice: one per-32 value for both of its 16-groups.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<sbyte> LowPairs(Vector128<byte> codes) =>
        Vector128.Shuffle(codes, Vector128.Create((byte)0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7)).AsSByte();

    /// <summary>Bytes 8..15 of <paramref name="codes"/> (minimums) each twice.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<sbyte> HighPairs(Vector128<byte> codes) =>
        Vector128.Shuffle(codes, Vector128.Create((byte)8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15)).AsSByte();
}
