using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Moxing.Core.Kernels.Repack;

/// <summary>
/// The 64 six-bit sub-block values (eight sub-blocks of eight rows) of an eight-row super-block group, in 48 bytes: 32 bytes
/// of low nibbles, then 16 bytes of high bit pairs. Decoded, value (s, r) sits at <see cref="Slot"/>: values 0..31 (sub-blocks
/// 0..3) in one register, 32..63 (sub-blocks 4..7) in another, each with rows 0..3 in its low 128 bits and rows 4..7 in its high.
/// </summary>
internal static unsafe class SixBits
{
    /// <summary>Bytes of the 64 packed values.</summary>
    public const int Bytes = 48;

    /// <summary>Where the value of sub-block s of row r sits among the 64 decoded values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Slot(int s, int r) => 32 * (s >> 2) + 16 * (r >> 2) + 4 * (s & 3) + (r & 3);

    /// <summary>Packs the 64 values at <paramref name="v"/> (each below 64) into <see cref="Bytes"/> bytes at <paramref name="dst"/>.</summary>
    public static void Pack(byte* v, byte* dst)
    {
        // low nibbles of values i and i + 32 in byte i (32 bytes), then the high bit pairs of values i, i + 16, i + 32, i + 48 in byte i (16 bytes)
        for (var i = 0; i < 32; i++) dst[i] = (byte)((v[i] & 15) | ((v[i + 32] & 15) << 4));
        for (var i = 0; i < 16; i++)
            dst[32 + i] = (byte)((v[i] >> 4) | ((v[i + 16] >> 4) << 2) | ((v[i + 32] >> 4) << 4) | ((v[i + 48] >> 4) << 6));
    }

    /// <summary>Stores the 64 values packed at <paramref name="p"/> as bytes at <paramref name="values"/> (AVX2, as the kernels).</summary>
    public static void Unpack(byte* p, byte* values)
    {
        Load(p, out var high).Store(values);
        high.Store(values + 32);
    }

    /// <summary>The 64 values packed at <paramref name="p"/>: values 0..31 returned, 32..63 in <paramref name="high"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Load(byte* p, out Vector256<byte> high)
    {
        var lows = Avx.LoadVector256(p);
        var bits = Avx2.BroadcastVector128ToVector256(p + 32).AsUInt32();
        var nibble = Vector256.Create((byte)0x0F);
        var pair = Vector256.Create((byte)0x30);
        high = (Avx2.ShiftRightLogical(lows.AsUInt16(), 4).AsByte() & nibble)
            | (Avx2.ShiftRightLogicalVariable(bits, Vector256.Create(0u, 0, 0, 0, 2, 2, 2, 2)).AsByte() & pair);
        return (lows & nibble) | (Avx2.ShiftLeftLogicalVariable(bits, Vector256.Create(4u, 4, 4, 4, 2, 2, 2, 2)).AsByte() & pair);
    }
}
