using System.Runtime.CompilerServices;
using Moxing.Core.Quantization.Blocks;

namespace Moxing.Core.Kernels.Repack;

/// <summary>
/// Q6_K rows interleaved eight at a time, so a matrix-vector kernel treats rows as vector lanes (<see cref="Q6KRows8Kernel"/>):
/// the scale widening, the -32 code offset and the float steps are paid once per eight rows instead of once per row. Same
/// size as the eight rows' blocks (1680 bytes); lossless (<see cref="Unpack"/> gives the rows' bytes back).
/// </summary>
/// <remarks>
/// A group block (super-block i of rows 8g .. 8g + 7): the eight d halves; the sixteen 8-bit scales of each row as eight
/// 16-byte pair tables (table p: groups 2p and 2p + 1 of rows 0..7, row-major); then the low-nibble bytes, for each half h,
/// column c (ql bytes 64h + 32c ..) and quarter q (eight bytes), one 64-byte <see cref="Rows8"/> register pair; then the
/// high-bit bytes, for each half h and quarter q (qh bytes 32h + 8q ..), one register pair.
/// </remarks>
internal static unsafe class Q6KRows8
{
    /// <summary>Bytes per group block (eight 210-byte Q6_K super-blocks).</summary>
    public const int BlockBytes = Rows8.Rows * 210;

    /// <summary>Offset of the eight d halves.</summary>
    public const int D = 0;

    /// <summary>Offset of the eight scale pair tables (128 bytes).</summary>
    public const int Scales = 16;

    /// <summary>Offset of the low-nibble register pairs (1024 bytes).</summary>
    public const int Low = 144;

    /// <summary>Offset of the high-bit register pairs (512 bytes).</summary>
    public const int High = 1168;

    // offsets in a file block
    private const int QhAt = 128, ScalesAt = 192, DAt = 208;

    /// <summary>Offset of the low-nibble register pair of half h, column c, quarter q.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LowPair(int h, int c, int q) => Low + ((h * 2 + c) * 4 + q) * 64;

    /// <summary>Offset of the high-bit register pair of half h, quarter q.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int HighPair(int h, int q) => High + (h * 4 + q) * 64;

    /// <summary>True when every d of the rows is finite (<see cref="Rows8.Finite"/>).</summary>
    public static bool Finite(byte* w, nint rowBytes, int rows, int blocks) => Rows8.Finite(w, rowBytes, rows, blocks, Q6KBlock.BlockBytes, [DAt]);

    /// <summary>Packs rows 8g .. 8g + 7 of the Q6_K matrix at <paramref name="w"/> into group <paramref name="g"/> at <paramref name="dst"/>.</summary>
    public static void Pack(byte* w, nint rowBytes, int blocks, int g, byte* dst) =>
        Move(w, rowBytes, blocks, g, dst, pack: true);

    /// <summary>Writes group <paramref name="g"/> of <paramref name="packed"/> back as the eight Q6_K rows it was packed from, at
    /// <paramref name="rows"/>, <paramref name="rowBytes"/> apart.</summary>
    public static void Unpack(byte* packed, int blocks, int g, byte* rows, nint rowBytes) =>
        Move(rows, rowBytes, blocks, g, packed, pack: false);

    /// <summary>Bytes of a packed matrix of <paramref name="rows"/> rows of <paramref name="blocks"/> super-blocks.</summary>
    public static long Bytes(int rows, int blocks) => (long)rows / Rows8.Rows * blocks * BlockBytes;

    // Copies every field between the file rows of group g and its packed blocks, in the direction `pack` says; the group's
    // rows start at `w + 8g · rowBytes` when packing (the whole matrix) and at `w` when unpacking (eight rows).
    private static void Move(byte* w, nint rowBytes, int blocks, int g, byte* packed, bool pack)
    {
        var first = pack ? (nint)g * Rows8.Rows : 0;
        packed += (nint)g * blocks * BlockBytes;
        for (var i = 0; i < blocks; i++, packed += BlockBytes)
            for (var r = 0; r < Rows8.Rows; r++)
            {
                var file = w + (first + r) * rowBytes + i * Q6KBlock.BlockBytes;
                Copy(file + DAt, packed + D + 2 * r, 2, pack);
                for (var s = 0; s < 16; s++) Copy(file + ScalesAt + s, packed + Scales + 16 * (s >> 1) + 2 * r + (s & 1), 1, pack);
                for (var h = 0; h < 2; h++)
                    for (var q = 0; q < 4; q++)
                    {
                        Copy(file + 64 * h + 8 * q, packed + LowPair(h, 0, q) + Rows8.Lane(r), 8, pack);
                        Copy(file + 64 * h + 32 + 8 * q, packed + LowPair(h, 1, q) + Rows8.Lane(r), 8, pack);
                        Copy(file + QhAt + 32 * h + 8 * q, packed + HighPair(h, q) + Rows8.Lane(r), 8, pack);
                    }
            }
    }

    private static void Copy(byte* file, byte* packed, int bytes, bool pack)
    {
        if (pack) Buffer.MemoryCopy(file, packed, bytes, bytes);
        else Buffer.MemoryCopy(packed, file, bytes, bytes);
    }
}
