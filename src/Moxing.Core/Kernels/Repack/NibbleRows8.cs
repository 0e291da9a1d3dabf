using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Half;
using Moxing.Core.Tensors;

namespace Moxing.Core.Kernels.Repack;

/// <summary>A 32-weight format of nibble codes, with or without a fifth bit, and a constant code offset: Q4_0, Q5_0.</summary>
internal interface INibbleFormat
{
    /// <summary>The stored type.</summary>
    static abstract DType Type { get; }

    /// <summary>True when each code has a fifth bit (a 32-bit word per block, after d).</summary>
    static abstract bool FifthBits { get; }

    /// <summary>The offset subtracted from every code (8 for Q4_0, 16 for Q5_0).</summary>
    static abstract int Offset { get; }
}

/// <summary>Q4_0: d, 16 nibble bytes.</summary>
internal readonly struct Q4_0Nibbles : INibbleFormat
{
    public static DType Type => DType.Q4_0;
    public static bool FifthBits => false;
    public static int Offset => 8;
}

/// <summary>Q5_0: d, the fifth-bit word, 16 nibble bytes.</summary>
internal readonly struct Q5_0Nibbles : INibbleFormat
{
    public static DType Type => DType.Q5_0;
    public static bool FifthBits => true;
    public static int Offset => 16;
}

/// <summary>
/// Q4_0 or Q5_0 rows interleaved eight at a time (<see cref="NibbleRows8Kernel{F}"/>): a 32-byte load holds four code nibbles
/// of each of eight rows, so a matrix-vector kernel treats rows as vector lanes and shares each activation broadcast, fifth-bit
/// spread and float step among eight rows; the same vectors are a <see cref="Integer.Panel"/>'s codes without a transpose.
/// Same size as the eight rows' blocks; lossless (<see cref="Unpack"/> gives the rows' bytes back).
/// </summary>
/// <remarks>A group block (block i of rows 8g .. 8g + 7): the eight d halves; for Q5_0 the eight 32-bit fifth-bit words (row r
/// at 16 + 4r); then four 32-byte nibble vectors: vector u holds bytes 4u .. 4u + 3 of each row's 16 nibble bytes (row r at
/// 4r), whose low nibbles are codes 4u .. 4u + 3 and high nibbles codes 16 + 4u ...</remarks>
internal static unsafe class NibbleRows8<F> where F : struct, INibbleFormat
{
    /// <summary>Rows per group.</summary>
    public const int Rows = RepackedMatrix.GroupRows;

    /// <summary>Bytes of one file block: d, the fifth-bit word (Q5_0), 16 nibble bytes.</summary>
    public static int FileBlockBytes
    {
        // inlined into the kernels' large methods, where the JIT's budget would leave a call
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => F.FifthBits ? 22 : 18;
    }

    /// <summary>Bytes per group block (eight file blocks).</summary>
    public static int BlockBytes
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Rows * FileBlockBytes;
    }

    /// <summary>Offset of the eight d halves.</summary>
    public const int D = 0;

    /// <summary>Offset of the eight fifth-bit words (Q5_0).</summary>
    public const int High = 16;

    /// <summary>Offset of the four nibble vectors.</summary>
    public static int Nibbles
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => F.FifthBits ? 48 : 16;
    }

    /// <summary>True when every d of the rows is finite (<see cref="HalfBits.AllFinite"/>).</summary>
    public static bool Finite(byte* w, nint rowBytes, int rows, int blocks) => HalfBits.AllFinite(w, rowBytes, rows, blocks, FileBlockBytes, [0]);

    /// <summary>Packs rows 8g .. 8g + 7 of the matrix at <paramref name="w"/> into group <paramref name="g"/> at <paramref name="dst"/>.</summary>
    public static void Pack(byte* w, nint rowBytes, int blocks, int g, byte* dst) => Move(w + (nint)g * Rows * rowBytes, rowBytes, blocks, dst + (nint)g * blocks * BlockBytes, pack: true);

    /// <summary>Writes group <paramref name="g"/> of <paramref name="packed"/> back as the eight rows it was packed from, at
    /// <paramref name="rows"/>, <paramref name="rowBytes"/> apart.</summary>
    public static void Unpack(byte* packed, int blocks, int g, byte* rows, nint rowBytes) => Move(rows, rowBytes, blocks, packed + (nint)g * blocks * BlockBytes, pack: false);


    // Copies each field between eight file rows (at `rows`) and their group blocks, in the direction `pack` says.
    private static void Move(byte* rows, nint rowBytes, int blocks, byte* group, bool pack)
    {
        var nibbles = F.FifthBits ? 6 : 2;
        for (var i = 0; i < blocks; i++, group += BlockBytes)
            for (var r = 0; r < Rows; r++)
            {
                var block = rows + r * rowBytes + i * FileBlockBytes;
                Copy(block, group + D + 2 * r, 2, pack);
                if (F.FifthBits) Copy(block + 2, group + High + 4 * r, 4, pack);
                for (var u = 0; u < 4; u++) Copy(block + nibbles + 4 * u, group + Nibbles + 32 * u + 4 * r, 4, pack);
            }
    }

    private static void Copy(byte* file, byte* packed, int bytes, bool pack)
    {
        if (pack) Buffer.MemoryCopy(file, packed, bytes, bytes);
        else Buffer.MemoryCopy(packed, file, bytes, bytes);
    }
}
