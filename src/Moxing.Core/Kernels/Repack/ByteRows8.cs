using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Moxing.Core.Kernels.Half;
using Moxing.Core.Kernels.Integer;
using Moxing.Core.Quantization.Blocks;

namespace Moxing.Core.Kernels.Repack;

/// <summary>
/// Q8_0 rows interleaved eight at a time: a group block (block i of rows 8g .. 8g + 7) holds the eight d halves, then eight
/// 32-byte vectors, vector u holding codes 4u .. 4u + 3 of each row (row r at 4r) — a <see cref="Panel"/>'s signed codes.
/// The one-vector kernel reads one stream with rows as lanes (no horizontal sums, one float step per block for eight rows);
/// panels for several vectors are a copy of the codes and the widened scales, no transpose. Same size as the eight rows'
/// blocks; lossless (<see cref="Unpack"/> gives the rows' bytes back).
/// </summary>
internal static unsafe class ByteRows8
{
    /// <summary>Bytes of one file block: d, then 32 signed codes.</summary>
    public const int FileBlockBytes = 34;

    /// <summary>Bytes per group block (eight file blocks).</summary>
    public const int BlockBytes = RepackedMatrix.GroupRows * FileBlockBytes;

    // Offset of the code vectors in a group block (after the eight d halves).
    private const int Codes = 16;

    /// <summary>True when every d of the rows is finite (<see cref="HalfBits.AllFinite"/>).</summary>
    public static bool Finite(byte* w, nint rowBytes, int rows, int blocks) => HalfBits.AllFinite(w, rowBytes, rows, blocks, FileBlockBytes, [0]);

    /// <summary>Packs rows 8g .. 8g + 7 of the matrix at <paramref name="w"/> into group <paramref name="g"/> at <paramref name="dst"/>.</summary>
    public static void Pack(byte* w, nint rowBytes, int blocks, int g, byte* dst) =>
        Move(w + (nint)g * RepackedMatrix.GroupRows * rowBytes, rowBytes, blocks, dst + (nint)g * blocks * BlockBytes, pack: true);

    /// <summary>Writes group <paramref name="g"/> of <paramref name="packed"/> back as the eight rows it was packed from, at
    /// <paramref name="rows"/>, <paramref name="rowBytes"/> apart.</summary>
    public static void Unpack(byte* packed, int blocks, int g, byte* rows, nint rowBytes) =>
        Move(rows, rowBytes, blocks, packed + (nint)g * blocks * BlockBytes, pack: false);

    // Copies each field between eight file rows (at `rows`) and their group blocks, in the direction `pack` says.
    private static void Move(byte* rows, nint rowBytes, int blocks, byte* group, bool pack)
    {
        for (var i = 0; i < blocks; i++, group += BlockBytes)
            for (var r = 0; r < RepackedMatrix.GroupRows; r++)
            {
                var block = rows + r * rowBytes + i * FileBlockBytes;
                GroupBytes.Copy(block, group + 2 * r, 2, pack);
                for (var u = 0; u < 8; u++) GroupBytes.Copy(block + 2 + 4 * u, group + Codes + 32 * u + 4 * r, 4, pack);
            }
    }


    /// <summary>The products of the eight rows of the group at <paramref name="a"/> with one row of Q8 activation blocks: per
    /// block the panel's signed integer step, then Σ code · x scaled by d · dx as every Q8_0 kernel does.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static Vector256<float> Group(byte* a, int blocks, byte* x)
    {
        var acc = Vector256<float>.Zero;
        for (var i = 0; i < blocks; i++, a += BlockBytes, x += ActivationBlocks.Q8Bytes)
        {
            Prefetch.Lines(a + Prefetch.Distance, BlockBytes);
            Avx2PanelDot.Block<One>(a + Codes, x + ActivationBlocks.Q8Codes, 0, signed: true, Q8_0Block.LargestCode, out var sums, out _, out _, out _);
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), HalfBits.Eight(a) * Vector256.Create(*(float*)x), acc);
        }
        return acc;
    }

    /// <summary>Writes the panel of group rows [first, first + 8) — <paramref name="w"/> the packed matrix, <paramref name="rowBytes"/>
    /// a file row's bytes, so the group starts at w + first · rowBytes — as <see cref="PanelPacker.PackSmall"/> would from the
    /// file rows: each block's eight code vectors, then its d per row and no offset.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackPanel(byte* w, nint rowBytes, int first, int count, int blocks, byte* panel)
    {
        var a = w + first * rowBytes;
        for (var i = 0; i < blocks; i++, a += BlockBytes, panel += Panel.SmallBytes)
        {
            Prefetch.Lines(a + Prefetch.Distance, BlockBytes);
            for (var u = 0; u < 8; u++) Avx.Store(panel + 32 * u, Avx.LoadVector256(a + Codes + 32 * u));
            Avx.Store((float*)(panel + Panel.SmallScale), HalfBits.Eight(a));
            Avx.Store((float*)(panel + Panel.SmallOffset), Vector256<float>.Zero);
        }
    }
}
