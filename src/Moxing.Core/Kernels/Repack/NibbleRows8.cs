using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Half;
using Moxing.Core.Quantization.Blocks;
using Moxing.Core.Tensors;

namespace Moxing.Core.Kernels.Repack;

/// <summary>A 32-weight format of nibble codes, with or without a fifth bit, and a constant code offset (Q4_0, Q5_0), a
/// per-block minimum (Q4_1, Q5_1) or a codebook (IQ4_NL); or a super-block of eight such blocks under one d with six-bit
/// block scales (IQ4_XS).</summary>
internal interface INibbleFormat
{
    /// <summary>The stored type.</summary>
    static abstract DType Type { get; }

    /// <summary>True when each code has a fifth bit (a 32-bit word per block, after d and m).</summary>
    static abstract bool FifthBits { get; }

    /// <summary>True when a block's values are d · code + m (a half m after d) rather than d · (code − <see cref="Offset"/>).</summary>
    static abstract bool HasMin { get; }

    /// <summary>The offset subtracted from every code (8 for Q4_0, 16 for Q5_0; 0 with a minimum).</summary>
    static abstract int Offset { get; }

    /// <summary>True when a code indexes <see cref="Iq4Codebook"/>'s signed levels (IQ4_NL) instead of being the level.</summary>
    static virtual bool Codebook => false;

    /// <summary>32-weight blocks per stored block: 1, or 8 for a super-block whose blocks have six-bit scales less 32, stored
    /// as IQ4_XS stores them after d (<see cref="Iq4XsBlock.SubBlockScales"/>).</summary>
    static virtual int SubBlocks => 1;
}

/// <summary>IQ4_NL: d, 16 nibble bytes indexing the codebook (Q4_0's layout).</summary>
internal readonly struct Iq4NlNibbles : INibbleFormat
{
    public static DType Type => DType.IQ4_NL;
    public static bool FifthBits => false;
    public static bool HasMin => false;
    public static int Offset => 0;
    public static bool Codebook => true;
}

/// <summary>IQ4_XS: d, the 2 + 4 bytes of six-bit block scales, eight blocks of 16 nibble bytes indexing the codebook.</summary>
internal readonly struct Iq4XsNibbles : INibbleFormat
{
    public static DType Type => DType.IQ4_XS;
    public static bool FifthBits => false;
    public static bool HasMin => false;
    public static int Offset => 0;
    public static bool Codebook => true;
    public static int SubBlocks => 8;
}

/// <summary>Q4_0: d, 16 nibble bytes.</summary>
internal readonly struct Q4_0Nibbles : INibbleFormat
{
    public static DType Type => DType.Q4_0;
    public static bool FifthBits => false;
    public static bool HasMin => false;
    public static int Offset => 8;
}

/// <summary>Q5_0: d, the fifth-bit word, 16 nibble bytes.</summary>
internal readonly struct Q5_0Nibbles : INibbleFormat
{
    public static DType Type => DType.Q5_0;
    public static bool FifthBits => true;
    public static bool HasMin => false;
    public static int Offset => 16;
}

/// <summary>Q4_1: d, m, 16 nibble bytes.</summary>
internal readonly struct Q4_1Nibbles : INibbleFormat
{
    public static DType Type => DType.Q4_1;
    public static bool FifthBits => false;
    public static bool HasMin => true;
    public static int Offset => 0;
}

/// <summary>Q5_1: d, m, the fifth-bit word, 16 nibble bytes.</summary>
internal readonly struct Q5_1Nibbles : INibbleFormat
{
    public static DType Type => DType.Q5_1;
    public static bool FifthBits => true;
    public static bool HasMin => true;
    public static int Offset => 0;
}

/// <summary>
/// Q4_0, Q5_0, Q4_1, Q5_1, IQ4_NL or IQ4_XS rows interleaved eight at a time (<see cref="NibbleRows8Kernel{F}"/>): a 32-byte load holds four code nibbles
/// of each of eight rows, so a matrix-vector kernel treats rows as vector lanes and shares each activation broadcast, fifth-bit
/// spread, scale and float step among eight rows; the same vectors are a <see cref="Integer.Panel"/>'s codes without a transpose.
/// Same size as the eight rows' blocks; lossless (<see cref="Unpack"/> gives the rows' bytes back).
/// </summary>
/// <remarks>A group block (block i of rows 8g .. 8g + 7): the eight d halves; for Q4_1/Q5_1 the eight m halves; for Q5_0/Q5_1
/// the eight 32-bit fifth-bit words (row r at <see cref="High"/> + 4r, its bits transposed by <see cref="LaneBits"/>); for IQ4_XS the 64 block scales as <see cref="SixBits"/>
/// (block s of row r at slot (s, r)); then for each 32-weight block four 32-byte nibble vectors: vector u holds bytes 4u .. 4u + 3
/// of each row's 16 nibble bytes (row r at 4r), whose low nibbles are codes 4u .. 4u + 3 and high nibbles codes 16 + 4u ...</remarks>
internal static unsafe class NibbleRows8<F> where F : struct, INibbleFormat
{
    /// <summary>Rows per group.</summary>
    public const int Rows = RepackedMatrix.GroupRows;

    /// <summary>Bytes of one file block: d, m (Q4_1/Q5_1), the fifth-bit word (Q5_0/Q5_1), the block scales (IQ4_XS), 16 nibble
    /// bytes per 32-weight block.</summary>
    public static int FileBlockBytes
    {
        // inlined into the kernels' large methods, where the JIT's budget would leave a call
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 2 + (F.HasMin ? 2 : 0) + (F.FifthBits ? 4 : 0) + (F.SubBlocks > 1 ? 6 : 0) + 16 * F.SubBlocks;
    }

    /// <summary>Bytes per group block (eight file blocks).</summary>
    public static int BlockBytes
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Rows * FileBlockBytes;
    }

    /// <summary>Offset of the eight d halves.</summary>
    public const int D = 0;

    /// <summary>Offset of the eight m halves (Q4_1/Q5_1).</summary>
    public const int M = 16;

    /// <summary>Offset of the eight fifth-bit words (Q5_0/Q5_1).</summary>
    public static int High
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => F.HasMin ? 32 : 16;
    }

    /// <summary>Offset of IQ4_XS's block scales (<see cref="SixBits"/>).</summary>
    public static int Scales
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => High + (F.FifthBits ? 32 : 0);
    }

    /// <summary>Offset of the nibble vectors, four per 32-weight block.</summary>
    public static int Nibbles
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Scales + (F.SubBlocks > 1 ? SixBits.Bytes : 0);
    }

    /// <summary>True when every d (and m) of the rows is finite (<see cref="HalfBits.AllFinite"/>).</summary>
    public static bool Finite(byte* w, nint rowBytes, int rows, int blocks) =>
        HalfBits.AllFinite(w, rowBytes, rows, blocks, FileBlockBytes, F.HasMin ? [0, 2] : [0]);

    /// <summary>Packs rows 8g .. 8g + 7 of the matrix at <paramref name="w"/> into group <paramref name="g"/> at <paramref name="dst"/>.</summary>
    public static void Pack(byte* w, nint rowBytes, int blocks, int g, byte* dst) => Move(w + (nint)g * Rows * rowBytes, rowBytes, blocks, dst + (nint)g * blocks * BlockBytes, pack: true);

    /// <summary>Writes group <paramref name="g"/> of <paramref name="packed"/> back as the eight rows it was packed from, at
    /// <paramref name="rows"/>, <paramref name="rowBytes"/> apart.</summary>
    public static void Unpack(byte* packed, int blocks, int g, byte* rows, nint rowBytes) => Move(rows, rowBytes, blocks, packed + (nint)g * blocks * BlockBytes, pack: false);


    // Copies each field between eight file rows (at `rows`) and their group blocks, in the direction `pack` says.
    private static void Move(byte* rows, nint rowBytes, int blocks, byte* group, bool pack)
    {
        // the file block: d, m, the fifth-bit word, the block scales, the nibbles
        int high = F.HasMin ? 4 : 2, nibbles = FileBlockBytes - 16 * F.SubBlocks;
        for (var i = 0; i < blocks; i++, group += BlockBytes)
        {
            for (var r = 0; r < Rows; r++)
            {
                var block = rows + r * rowBytes + i * FileBlockBytes;
                GroupBytes.Copy(block, group + D + 2 * r, 2, pack);
                if (F.HasMin) GroupBytes.Copy(block + 2, group + M + 2 * r, 2, pack);
                if (F.FifthBits)
                {
                    byte* file = block + high, packed = group + High + 4 * r;
                    if (pack) Unsafe.WriteUnaligned(packed, LaneBits(Unsafe.ReadUnaligned<uint>(file)));
                    else Unsafe.WriteUnaligned(file, FileBits(Unsafe.ReadUnaligned<uint>(packed)));
                }
                for (var s = 0; s < F.SubBlocks; s++)
                    for (var u = 0; u < 4; u++) GroupBytes.Copy(block + nibbles + 16 * s + 4 * u, group + Nibbles + 128 * s + 32 * u + 4 * r, 4, pack);
            }
            if (F.SubBlocks > 1) MoveScales(rows + i * FileBlockBytes, rowBytes, group + Scales, pack);
        }
    }

    /// <summary>A block's fifth-bit word with bit 4v + k (code k of code vector v) moved to bit 8k + v: byte k of the word then
    /// holds code k's bits of all eight code vectors, and vector v's bits reach bit 4 of their bytes by one shift.</summary>
    public static uint LaneBits(uint word)
    {
        uint lanes = 0;
        for (var v = 0; v < 8; v++) lanes |= Spread((word >> (4 * v)) & 15) << v;
        return lanes;
    }

    /// <summary>The inverse of <see cref="LaneBits"/>: the file's fifth-bit word.</summary>
    public static uint FileBits(uint lanes)
    {
        uint word = 0;
        for (var v = 0; v < 8; v++) word |= Gather(lanes >> v) << (4 * v);
        return word;
    }

    // Bit k of a nibble to bit 8k, and back.
    private static uint Spread(uint nibble) => (nibble & 1) | (nibble & 2) << 7 | (nibble & 4) << 14 | (nibble & 8) << 21;

    private static uint Gather(uint bits) => (bits & 1) | (bits >> 7 & 2) | (bits >> 14 & 4) | (bits >> 21 & 8);

    // Moves the block scales of one super-block of eight rows (at `blocks`, rowBytes apart) between the file's fields and SixBits.
    private static void MoveScales(byte* blocks, nint rowBytes, byte* packed, bool pack)
    {
        var values = stackalloc byte[64];
        if (pack)
        {
            for (var r = 0; r < Rows; r++)
            {
                var ls = Iq4XsBlock.SubBlockScales(blocks + r * rowBytes);
                for (var s = 0; s < 8; s++) values[SixBits.Slot(s, r)] = (byte)(ls >> (8 * s));
            }
            SixBits.Pack(values, packed);
            return;
        }
        SixBits.Unpack(packed, values);
        for (var r = 0; r < Rows; r++)
        {
            ulong ls = 0;
            for (var s = 0; s < 8; s++) ls |= (ulong)values[SixBits.Slot(s, r)] << (8 * s);
            Iq4XsBlock.WriteSubBlockScales(blocks + r * rowBytes, ls);
        }
    }
}
