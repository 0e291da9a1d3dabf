using Moxing.Core.Kernels.Half;
using Moxing.Core.Quantization.Blocks;

namespace Moxing.Core.Kernels.Repack;

/// <summary>
/// Q5_0 rows interleaved eight at a time (<see cref="Q5Rows8Kernel"/>): a 32-byte load holds four code nibbles of each of
/// eight rows, so a matrix-vector kernel treats rows as vector lanes and shares each activation broadcast, fifth-bit spread
/// and float step among eight rows; the same vectors are a <see cref="Integer.Panel"/>'s codes without a transpose. Same
/// size as the eight rows' blocks (176 bytes); lossless (<see cref="Unpack"/> gives the rows' bytes back).
/// </summary>
/// <remarks>A group block (block i of rows 8g .. 8g + 7): the eight d halves, the eight 32-bit fifth-bit words (row r at
/// 16 + 4r), then four 32-byte nibble vectors: vector u holds bytes 4u .. 4u + 3 of each row's 16 nibble bytes (row r at
/// 4r), whose low nibbles are codes 4u .. 4u + 3 and high nibbles codes 16 + 4u ...</remarks>
internal static unsafe class Q5Rows8
{
    /// <summary>Rows per group.</summary>
    public const int Rows = 8;

    /// <summary>Bytes per group block (eight 22-byte Q5_0 blocks).</summary>
    public const int BlockBytes = Rows * 22;

    /// <summary>Offset of the eight d halves.</summary>
    public const int D = 0;

    /// <summary>Offset of the eight fifth-bit words.</summary>
    public const int High = 16;

    /// <summary>Offset of the four nibble vectors.</summary>
    public const int Nibbles = 48;

    /// <summary>True when every d of the rows is finite (<see cref="HalfBits.AllFinite"/>).</summary>
    public static bool Finite(byte* w, nint rowBytes, int rows, int blocks) => HalfBits.AllFinite(w, rowBytes, rows, blocks, Q5_0Block.BlockBytes, [0]);

    /// <summary>Packs rows 8g .. 8g + 7 of the Q5_0 matrix at <paramref name="w"/> into group <paramref name="g"/> at <paramref name="dst"/>.</summary>
    public static void Pack(byte* w, nint rowBytes, int blocks, int g, byte* dst) => Move(w + (nint)g * Rows * rowBytes, rowBytes, blocks, dst + (nint)g * blocks * BlockBytes, pack: true);

    /// <summary>Writes group <paramref name="g"/> of <paramref name="packed"/> back as the eight Q5_0 rows it was packed from, at
    /// <paramref name="rows"/>, <paramref name="rowBytes"/> apart.</summary>
    public static void Unpack(byte* packed, int blocks, int g, byte* rows, nint rowBytes) => Move(rows, rowBytes, blocks, packed + (nint)g * blocks * BlockBytes, pack: false);

    /// <summary>Bytes of a packed matrix of <paramref name="rows"/> rows of <paramref name="blocks"/> blocks.</summary>
    public static long Bytes(int rows, int blocks) => (long)rows / Rows * blocks * BlockBytes;

    // Copies each field between eight file rows (at `rows`) and their group blocks, in the direction `pack` says.
    private static void Move(byte* rows, nint rowBytes, int blocks, byte* group, bool pack)
    {
        for (var i = 0; i < blocks; i++, group += BlockBytes)
            for (var r = 0; r < Rows; r++)
            {
                var block = rows + r * rowBytes + i * Q5_0Block.BlockBytes;
                Copy(block, group + D + 2 * r, 2, pack);
                Copy(block + 2, group + High + 4 * r, 4, pack);
                for (var u = 0; u < 4; u++) Copy(block + 6 + 4 * u, group + Nibbles + 32 * u + 4 * r, 4, pack);
            }
    }

    private static void Copy(byte* file, byte* packed, int bytes, bool pack)
    {
        if (pack) Buffer.MemoryCopy(file, packed, bytes, bytes);
        else Buffer.MemoryCopy(packed, file, bytes, bytes);
    }
}
