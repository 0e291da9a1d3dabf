using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Moxing.Core.Kernels.Lanes;
using Moxing.Core.Quantization.Blocks;

namespace Moxing.Core.Kernels.Integer;

/// <summary>Repacks up to eight stored weight rows into a <see cref="Panel"/> (the packing step of a blocked matrix product).</summary>
/// <remarks>Missing rows of a last partial panel repeat the first row: their lanes are computed and never stored. Lanes of
/// 256 bits (<c>TB</c> = <see cref="Vector256{T}"/>) lay out a panel with AVX2 shuffles and transposes; every other lane
/// type takes the scalar route, the reference the AVX2 route equals byte for byte. While packing a panel, each row's
/// block is prefetched in the panel eight rows on: a product's rows are contiguous, so that is the next panel to pack.</remarks>
internal static unsafe class PanelPacker
{
    /// <summary>Packs rows [first, first + count) of a 32-weight format, <paramref name="blocks"/> blocks each, into <paramref name="panel"/>
    /// (signed codes as they are; K panels bias theirs).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackSmall<F, L, TB, TS, TF>(byte* w, nint rowBytes, int first, int count, int blocks, byte* panel)
        where F : struct, IQ8Dot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var codes = stackalloc byte[32 * Panel.Rows];
        var rows = stackalloc byte*[Panel.Rows];
        RowPointers(w, rowBytes, first, count, rows);
        var ahead = Panel.Rows * rowBytes;
        for (var b = 0; b < blocks; b++, panel += Panel.SmallBytes)
        {
            nint at = (nint)b * F.BlockBytes;
            if (Vectorized<TB>())
            {
                // the eight rows' codes stay in registers on their way into the transpose
                Transpose(Vector(SmallRow<F, L, TB, TS, TF>(rows[0] + at, ahead, panel, 0)), Vector(SmallRow<F, L, TB, TS, TF>(rows[1] + at, ahead, panel, 1)),
                    Vector(SmallRow<F, L, TB, TS, TF>(rows[2] + at, ahead, panel, 2)), Vector(SmallRow<F, L, TB, TS, TF>(rows[3] + at, ahead, panel, 3)),
                    Vector(SmallRow<F, L, TB, TS, TF>(rows[4] + at, ahead, panel, 4)), Vector(SmallRow<F, L, TB, TS, TF>(rows[5] + at, ahead, panel, 5)),
                    Vector(SmallRow<F, L, TB, TS, TF>(rows[6] + at, ahead, panel, 6)), Vector(SmallRow<F, L, TB, TS, TF>(rows[7] + at, ahead, panel, 7)),
                    false, panel);
                continue;
            }
            for (var r = 0; r < Panel.Rows; r++)
                *(TB*)(codes + 32 * r) = SmallRow<F, L, TB, TS, TF>(rows[r] + at, ahead, panel, r);
            Transpose<TB>(codes, false, panel);
        }
    }

    /// <summary>Stores the scale and offset of row <paramref name="r"/>'s <paramref name="block"/> in the panel block and returns
    /// its codes, having asked for the same block in the panel <paramref name="ahead"/> bytes on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TB SmallRow<F, L, TB, TS, TF>(byte* block, nint ahead, byte* panel, int r)
        where F : struct, IQ8Dot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        Prefetch.Lines(block + ahead, F.BlockBytes);
        var d = F.Scale(block);
        ((float*)(panel + Panel.SmallScale))[r] = d;
        // signed codes stay signed (the tiles take their exact signed sums), so only offset formats have an offset term
        ((float*)(panel + Panel.SmallOffset))[r] = F.HasOffset ? F.Offset(block, d) : 0;
        return F.Codes<L, TB, TS, TF>(block);
    }

    // A 256-bit lane value as the vector it is (only on the vector route).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Vector<TB>(TB value) where TB : unmanaged => Unsafe.As<TB, Vector256<byte>>(ref value);

    /// <summary>Packs rows [first, first + count) of a 256-weight K format, <paramref name="blocks"/> super-blocks each, into <paramref name="panel"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackSuper<F, L, TB, TS, TF>(byte* w, nint rowBytes, int first, int count, int blocks, byte* panel)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var rows = stackalloc byte*[Panel.Rows];
        RowPointers(w, rowBytes, first, count, rows);
        // chunk c of row r at 256c + 32r, and four 8×8 tables of 32-bit lanes per row (group scales 0..7, 8..15, the two
        // minimum pair vectors): each 256-byte table is one transpose away from its place in the panel
        var codes = stackalloc byte[8 * 32 * Panel.Rows];
        var tables = stackalloc byte[4 * 32 * Panel.Rows];
        var ahead = Panel.Rows * rowBytes;
        for (var b = 0; b < blocks; b++, panel += Panel.SuperBytes)
        {
            nint at = (nint)b * F.BlockBytes;
            for (var r = 0; r < Panel.Rows; r++)
            {
                var block = rows[r] + at;
                Prefetch.Lines(block + ahead, F.BlockBytes);
                UnpackSuper<F, L, TB, TS, TF>(block, codes + 32 * r, tables + 32 * r);
                ((float*)(panel + Panel.SuperScale))[r] = F.Scale(block);
                ((float*)(panel + Panel.SuperOwnScale))[r] = F.MinScale(block);
            }
            for (var c = 0; c < 8; c++)
                Transpose<TB>(codes + 256 * c, F.SignedCodes, panel + 256 * c);
            Transpose<TB>(tables, false, panel + Panel.SuperScales);
            Transpose<TB>(tables + 256, false, panel + Panel.SuperScales + 256);
            Transpose<TB>(tables + 512, false, panel + Panel.SuperSameMins);
            Transpose<TB>(tables + 768, false, panel + Panel.SuperOwnMins);
        }
    }

    // True where TB is a 256-bit vector and the processor has AVX2: the vector route.
    private static bool Vectorized<TB>() => Avx2.IsSupported && typeof(TB) == typeof(Vector256<byte>);

    /// <summary>A super-block's eight code chunks (chunk c at codes + 256c) and its row of the four scale tables (table k at tables + 256k).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UnpackSuper<F, L, TB, TS, TF>(byte* block, byte* codes, byte* tables)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var scales = F.Scales<L, TB, TS, TF>(block, out var mins);
        if (Vectorized<TB>()) ScaleTables<F>(Unsafe.As<TB, Vector256<short>>(ref scales), Unsafe.As<TB, Vector256<short>>(ref mins), tables);
        else ScaleTables<F>((short*)&scales, (short*)&mins, tables);
        // unrolled: constant chunk indices fold each format's shifts and offsets
        *(TB*)codes = F.Chunk<L, TB, TS, TF>(block, 0);
        *(TB*)(codes + 256) = F.Chunk<L, TB, TS, TF>(block, 1);
        *(TB*)(codes + 512) = F.Chunk<L, TB, TS, TF>(block, 2);
        *(TB*)(codes + 768) = F.Chunk<L, TB, TS, TF>(block, 3);
        *(TB*)(codes + 1024) = F.Chunk<L, TB, TS, TF>(block, 4);
        *(TB*)(codes + 1280) = F.Chunk<L, TB, TS, TF>(block, 5);
        *(TB*)(codes + 1536) = F.Chunk<L, TB, TS, TF>(block, 6);
        *(TB*)(codes + 1792) = F.Chunk<L, TB, TS, TF>(block, 7);
    }

    /// <summary>One row of the scale tables, scalar: group h's scale (chunk order h / 2 + 8 · (h % 2)) as an int32 at table
    /// h / 8, lane h % 8; its 16-bit minimums (less 128 · scale for biased signed codes) in pair lanes of tables 2 and 3.</summary>
    private static void ScaleTables<F>(short* scales, short* mins, byte* tables) where F : struct, IQ8KDot
    {
        for (var h = 0; h < 16; h++)
        {
            int scale = scales[h / 2 + 8 * (h % 2)];
            ((int*)(tables + 256 * (h / 8)))[h % 8] = scale;
            ((short*)(tables + 512))[h] = (short)((F.Mins == KMins.SameScale ? mins[h] : 0) - (F.SignedCodes ? 128 * scale : 0));
            ((short*)(tables + 768))[h] = F.Mins == KMins.OwnScale ? mins[h] : (short)0;
        }
    }

    /// <summary>As the scalar <see cref="ScaleTables{F}(short*, short*, byte*)"/>, in four AVX2 stores.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScaleTables<F>(Vector256<short> scales, Vector256<short> mins, byte* tables) where F : struct, IQ8KDot
    {
        // chunk order to group order: interleave the scales of codes 0..15 (low half) with those of codes 16..31 (high half)
        var low = Sse2.UnpackLow(scales.GetLower(), scales.GetUpper());
        var high = Sse2.UnpackHigh(scales.GetLower(), scales.GetUpper());
        Avx.Store((int*)tables, Avx2.ConvertToVector256Int32(low));
        Avx.Store((int*)(tables + 256), Avx2.ConvertToVector256Int32(high));
        var same = F.Mins == KMins.SameScale ? mins : Vector256<short>.Zero;
        if (F.SignedCodes) same = Avx2.Subtract(same, Avx2.ShiftLeftLogical(Vector256.Create(low, high), 7));
        Avx.Store((short*)(tables + 512), same);
        Avx.Store((short*)(tables + 768), F.Mins == KMins.OwnScale ? mins : Vector256<short>.Zero);
    }

    private static void RowPointers(byte* w, nint rowBytes, int first, int count, byte** rows)
    {
        for (var r = 0; r < Panel.Rows; r++) rows[r] = w + (first + (r < count ? r : 0)) * rowBytes;
    }

    /// <summary>Writes the 8×8 transpose of the 32-bit lanes of eight rows of 32 bytes (vector g of the output holds lane g of
    /// every row), flipping the top bit of each byte when <paramref name="biased"/> (signed code + 128).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose<TB>(byte* rows, bool biased, byte* dst)
    {
        if (!Vectorized<TB>())
        {
            var bias = biased ? 0x80808080u : 0;
            for (var g = 0; g < 8; g++)
                for (var r = 0; r < Panel.Rows; r++)
                    ((uint*)dst)[Panel.Rows * g + r] = ((uint*)rows)[8 * r + g] ^ bias;
            return;
        }
        Transpose(Avx.LoadVector256(rows), Avx.LoadVector256(rows + 32), Avx.LoadVector256(rows + 64), Avx.LoadVector256(rows + 96),
            Avx.LoadVector256(rows + 128), Avx.LoadVector256(rows + 160), Avx.LoadVector256(rows + 192), Avx.LoadVector256(rows + 224), biased, dst);
    }

    /// <summary>As <see cref="Transpose{TB}(byte*, bool, byte*)"/>, on eight rows held in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(Vector256<byte> r0, Vector256<byte> r1, Vector256<byte> r2, Vector256<byte> r3,
        Vector256<byte> r4, Vector256<byte> r5, Vector256<byte> r6, Vector256<byte> r7, bool biased, byte* dst)
    {
        if (biased)
        {
            var flip = Vector256.Create((byte)0x80);
            (r0, r1, r2, r3) = (r0 ^ flip, r1 ^ flip, r2 ^ flip, r3 ^ flip);
            (r4, r5, r6, r7) = (r4 ^ flip, r5 ^ flip, r6 ^ flip, r7 ^ flip);
        }
        var t0 = Avx2.UnpackLow(r0.AsInt32(), r1.AsInt32());
        var t1 = Avx2.UnpackHigh(r0.AsInt32(), r1.AsInt32());
        var t2 = Avx2.UnpackLow(r2.AsInt32(), r3.AsInt32());
        var t3 = Avx2.UnpackHigh(r2.AsInt32(), r3.AsInt32());
        var t4 = Avx2.UnpackLow(r4.AsInt32(), r5.AsInt32());
        var t5 = Avx2.UnpackHigh(r4.AsInt32(), r5.AsInt32());
        var t6 = Avx2.UnpackLow(r6.AsInt32(), r7.AsInt32());
        var t7 = Avx2.UnpackHigh(r6.AsInt32(), r7.AsInt32());
        var u0 = Avx2.UnpackLow(t0.AsInt64(), t2.AsInt64());
        var u1 = Avx2.UnpackHigh(t0.AsInt64(), t2.AsInt64());
        var u2 = Avx2.UnpackLow(t1.AsInt64(), t3.AsInt64());
        var u3 = Avx2.UnpackHigh(t1.AsInt64(), t3.AsInt64());
        var u4 = Avx2.UnpackLow(t4.AsInt64(), t6.AsInt64());
        var u5 = Avx2.UnpackHigh(t4.AsInt64(), t6.AsInt64());
        var u6 = Avx2.UnpackLow(t5.AsInt64(), t7.AsInt64());
        var u7 = Avx2.UnpackHigh(t5.AsInt64(), t7.AsInt64());
        Avx.Store((long*)dst, Avx2.Permute2x128(u0, u4, 0x20));
        Avx.Store((long*)(dst + 32), Avx2.Permute2x128(u1, u5, 0x20));
        Avx.Store((long*)(dst + 64), Avx2.Permute2x128(u2, u6, 0x20));
        Avx.Store((long*)(dst + 96), Avx2.Permute2x128(u3, u7, 0x20));
        Avx.Store((long*)(dst + 128), Avx2.Permute2x128(u0, u4, 0x31));
        Avx.Store((long*)(dst + 160), Avx2.Permute2x128(u1, u5, 0x31));
        Avx.Store((long*)(dst + 192), Avx2.Permute2x128(u2, u6, 0x31));
        Avx.Store((long*)(dst + 224), Avx2.Permute2x128(u3, u7, 0x31));
    }
}
