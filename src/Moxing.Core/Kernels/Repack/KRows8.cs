using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Half;
using Moxing.Core.Tensors;
using Moxing.Core.Quantization.Encoders;

namespace Moxing.Core.Kernels.Repack;

/// <summary>A K super-block format of four-bit codes with six-bit scales and minimums, with or without a fifth bit: Q4_K, Q5_K.</summary>
internal interface IKNibbleFormat
{
    /// <summary>The stored type.</summary>
    static abstract DType Type { get; }

    /// <summary>True when each code has a fifth bit (Q5_K's 32 qh bytes after the scales).</summary>
    static abstract bool FifthBits { get; }
}

/// <summary>Q4_K: d, dmin, 12 scale bytes, 128 nibble bytes.</summary>
internal readonly struct Q4KNibbles : IKNibbleFormat
{
    public static DType Type => DType.Q4_K;
    public static bool FifthBits => false;
}

/// <summary>Q5_K: d, dmin, 12 scale bytes, 32 fifth-bit bytes, 128 nibble bytes.</summary>
internal readonly struct Q5KNibbles : IKNibbleFormat
{
    public static DType Type => DType.Q5_K;
    public static bool FifthBits => true;
}

/// <summary>
/// Q4_K or Q5_K rows interleaved eight at a time, as llama.cpp's block_q4_Kx8 does, so a matrix-vector kernel treats rows as
/// vector lanes: one pass over a group block yields the super-block sums of eight rows, and the scale unpacking, the minimum
/// terms and the float steps are paid once per eight rows instead of once per row. Same size as the eight rows' blocks;
/// lossless (<see cref="Unpack"/> gives the rows' bytes back).
/// </summary>
/// <remarks>
/// A group block (super-block i of rows 8g .. 8g + 7): the eight d halves, the eight dmin halves, the 64 six-bit scales and
/// the 64 six-bit minimums (each as <see cref="SixBits"/>, an order whose 128-bit halves hold rows 0..3 and 4..7), then the codes: for each 32-byte column j of a row's codes and each
/// quarter q of it, two 32-byte registers — rows 0, 1, 4, 5 and rows 2, 3, 6, 7 — of eight code bytes per row. Q5_K then has
/// its fifth bits in the codes' order of column 0: quarter q's two registers hold each row's qh bytes 8q .. 8q + 7, whose bit
/// 2j is the fifth bit of column j's low nibble and bit 2j + 1 of its high nibble.
/// </remarks>
internal static unsafe class KRows8<F> where F : struct, IKNibbleFormat
{
    /// <summary>Rows per group.</summary>
    public const int Rows = RepackedMatrix.GroupRows;

    /// <summary>Bytes of one file super-block (144 for Q4_K, 176 for Q5_K).</summary>
    public static int FileBlockBytes
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => F.FifthBits ? 176 : 144;
    }

    /// <summary>Offset of the codes in a file super-block (after Q5_K's qh bytes).</summary>
    private static int FileCodes
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => F.FifthBits ? 48 : 16;
    }

    /// <summary>Bytes per group block (eight file super-blocks).</summary>
    public static int BlockBytes
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Rows * FileBlockBytes;
    }

    /// <summary>Offset of the eight d halves.</summary>
    public const int D = 0;

    /// <summary>Offset of the eight dmin halves.</summary>
    public const int DMin = 16;

    /// <summary>Offset of the 64 six-bit scales (<see cref="SixBits"/>).</summary>
    public const int Scales = 32;

    /// <summary>Offset of the 64 six-bit minimums (<see cref="SixBits"/>).</summary>
    public const int Mins = Scales + SixBits.Bytes;

    /// <summary>Offset of the interleaved codes (1024 bytes).</summary>
    public const int Codes = 128;

    /// <summary>Offset of Q5_K's interleaved fifth bits (256 bytes).</summary>
    public const int High = Codes + 1024;

    /// <summary>Offset, within the codes, of row r's eight code bytes of quarter q of column j (with j = 0, within the fifth
    /// bits, of its eight qh bytes of quarter q).</summary>
    private static int CodeOffset(int j, int q, int r) => ((j * 4 + q) * 2 + ((r >> 1) & 1)) * 32 + ((r >> 2) * 2 + (r & 1)) * 8;

    /// <summary>True when every d and dmin of the rows is finite (<see cref="HalfBits.AllFinite"/>).</summary>
    public static bool Finite(byte* w, nint rowBytes, int rows, int blocks) => HalfBits.AllFinite(w, rowBytes, rows, blocks, FileBlockBytes, [0, 2]);

    /// <summary>Packs rows 8g .. 8g + 7 of the matrix at <paramref name="w"/> into group <paramref name="g"/> at <paramref name="dst"/>.</summary>
    public static void Pack(byte* w, nint rowBytes, int blocks, int g, byte* dst)
    {
        var scales = stackalloc byte[64];
        var mins = stackalloc byte[64];
        dst += (nint)g * blocks * BlockBytes;
        for (var i = 0; i < blocks; i++, dst += BlockBytes)
        {
            for (var r = 0; r < Rows; r++)
            {
                var src = w + (8 * g + r) * rowBytes + i * FileBlockBytes;
                Unsafe.WriteUnaligned(dst + D + 2 * r, Unsafe.ReadUnaligned<ushort>(src));
                Unsafe.WriteUnaligned(dst + DMin + 2 * r, Unsafe.ReadUnaligned<ushort>(src + 2));
                for (var s = 0; s < 8; s++)
                {
                    AffineSuperBlock.ScaleMin(s, src + 4, out var sc, out var m);
                    scales[SixBits.Slot(s, r)] = (byte)sc;
                    mins[SixBits.Slot(s, r)] = (byte)m;
                }
                for (var j = 0; j < 4; j++)
                    for (var q = 0; q < 4; q++)
                        Unsafe.WriteUnaligned(dst + Codes + CodeOffset(j, q, r), Unsafe.ReadUnaligned<ulong>(src + FileCodes + 32 * j + 8 * q));
                if (F.FifthBits)
                    for (var q = 0; q < 4; q++)
                        Unsafe.WriteUnaligned(dst + High + CodeOffset(0, q, r), Unsafe.ReadUnaligned<ulong>(src + 16 + 8 * q));
            }
            SixBits.Pack(scales, dst + Scales);
            SixBits.Pack(mins, dst + Mins);
        }
    }

    /// <summary>Writes group <paramref name="g"/> of <paramref name="packed"/> back as the eight rows it was packed from, at
    /// <paramref name="rows"/>, <paramref name="rowBytes"/> apart (AVX2, as the kernel).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Unpack(byte* packed, int blocks, int g, byte* rows, nint rowBytes)
    {
        var scales = stackalloc byte[64];
        var mins = stackalloc byte[64];
        packed += (nint)g * blocks * BlockBytes;
        for (var i = 0; i < blocks; i++, packed += BlockBytes)
        {
            SixBits.Unpack(packed + Scales, scales);
            SixBits.Unpack(packed + Mins, mins);
            for (var r = 0; r < Rows; r++)
            {
                var dst = rows + r * rowBytes + i * FileBlockBytes;
                Unsafe.WriteUnaligned(dst, Unsafe.ReadUnaligned<ushort>(packed + D + 2 * r));
                Unsafe.WriteUnaligned(dst + 2, Unsafe.ReadUnaligned<ushort>(packed + DMin + 2 * r));
                for (var s = 0; s < 8; s++) AffineSuperBlock.PackScale(dst + 4, s, scales[SixBits.Slot(s, r)], mins[SixBits.Slot(s, r)]);
                for (var j = 0; j < 4; j++)
                    for (var q = 0; q < 4; q++)
                        Unsafe.WriteUnaligned(dst + FileCodes + 32 * j + 8 * q, Unsafe.ReadUnaligned<ulong>(packed + Codes + CodeOffset(j, q, r)));
                if (F.FifthBits)
                    for (var q = 0; q < 4; q++)
                        Unsafe.WriteUnaligned(dst + 16 + 8 * q, Unsafe.ReadUnaligned<ulong>(packed + High + CodeOffset(0, q, r)));
            }
        }
    }
}
