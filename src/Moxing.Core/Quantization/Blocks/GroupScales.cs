using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>The sixteen 16-bit group multipliers the K formats hand to the integer kernels (one per 16 weights).</summary>
internal static unsafe class GroupScales
{
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

    /// <summary>Bytes 0..7 of <paramref name="codes"/> (first == 0) or 8..15 (first == 8), each twice: one per-32 value for both of its 16-groups.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<sbyte> Pairs(Vector128<byte> codes, byte first) =>
        Vector128.Shuffle(codes, Vector128.Create(first) + Vector128.Create((byte)0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7)).AsSByte();
}
