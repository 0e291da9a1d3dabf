using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Moxing.Core.Kernels.Lanes;
using Moxing.Core.Quantization.Blocks;

namespace Moxing.Core.Kernels.Integer;

/// <summary>Repacks up to eight stored weight rows into a <see cref="Panel"/> (the packing step of a blocked matrix product).</summary>
/// <remarks>Missing rows of a last partial panel repeat the first row: their lanes are computed and never stored.</remarks>
internal static unsafe class PanelPacker
{
    /// <summary>Packs rows [first, first + count) of a 32-weight format, <paramref name="blocks"/> blocks each, into <paramref name="panel"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackSmall<F, L, TB, TS, TF>(byte* w, nint rowBytes, int first, int count, int blocks, byte* panel)
        where F : struct, IQ8Dot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var codes = stackalloc byte[32 * Panel.Rows];
        var rows = stackalloc byte*[Panel.Rows];
        RowPointers(w, rowBytes, first, count, rows);
        for (var b = 0; b < blocks; b++, panel += Panel.SmallBytes)
        {
            nint at = (nint)b * F.BlockBytes;
            var scales = (float*)(panel + Panel.SmallScale);
            var offsets = (float*)(panel + Panel.SmallOffset);
            for (var r = 0; r < Panel.Rows; r++)
            {
                var block = rows[r] + at;
                scales[r] = F.Scale(block);
                // signed codes enter as code + 128: the 128 · d · Σx they add is taken off with the offset
                offsets[r] = F.SignedCodes ? -128 * F.Scale(block) : F.HasOffset ? F.Offset(block) : 0;
                *(TB*)(codes + 32 * r) = F.Codes<L, TB, TS, TF>(block);
            }
            Transpose(codes, F.SignedCodes, panel);
        }
    }

    /// <summary>Packs rows [first, first + count) of a 256-weight K format, <paramref name="blocks"/> super-blocks each, into <paramref name="panel"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackSuper<F, L, TB, TS, TF>(byte* w, nint rowBytes, int first, int count, int blocks, byte* panel)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var rows = stackalloc byte*[Panel.Rows];
        RowPointers(w, rowBytes, first, count, rows);
        var codes = stackalloc TB[8 * Panel.Rows];
        var chunk = stackalloc byte[32 * Panel.Rows];
        var scales = stackalloc short[16];
        var mins = stackalloc short[16];
        for (var b = 0; b < blocks; b++, panel += Panel.SuperBytes)
        {
            nint at = (nint)b * F.BlockBytes;
            var groupScales = (int*)(panel + Panel.SuperScales);
            var same = (short*)(panel + Panel.SuperSameMins);
            var own = (short*)(panel + Panel.SuperOwnMins);
            for (var r = 0; r < Panel.Rows; r++)
            {
                var block = rows[r] + at;
                UnpackSuper<F, L, TB, TS, TF>(block, codes + 8 * r, scales, mins);
                ((float*)(panel + Panel.SuperScale))[r] = F.Scale(block);
                ((float*)(panel + Panel.SuperOwnScale))[r] = F.MinScale(block);
                for (var h = 0; h < 16; h++)
                {
                    // group h (codes 16h..16h+15) is half h % 2 of chunk h / 2; its scale sits in chunk order
                    int scale = scales[h / 2 + 8 * (h % 2)];
                    groupScales[Panel.Rows * h + r] = scale;
                    // lane r of pair vector h / 2 holds the 16-bit minimums of groups 2p and 2p + 1
                    var lane = 2 * Panel.Rows * (h / 2) + 2 * r + h % 2;
                    same[lane] = (short)((F.Mins == KMins.SameScale ? mins[h] : 0) - (F.SignedCodes ? 128 * scale : 0));
                    own[lane] = F.Mins == KMins.OwnScale ? mins[h] : (short)0;
                }
            }
            for (var c = 0; c < 8; c++)
            {
                for (var r = 0; r < Panel.Rows; r++) *(TB*)(chunk + 32 * r) = codes[8 * r + c];
                Transpose(chunk, F.SignedCodes, panel + 8 * 32 * c);
            }
        }
    }

    /// <summary>A super-block's eight code chunks, sixteen scales (chunk order) and sixteen minimums (group order) into memory.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UnpackSuper<F, L, TB, TS, TF>(byte* block, TB* codes, short* scales, short* mins)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        *(TB*)scales = F.Scales<L, TB, TS, TF>(block, out var minimums);
        *(TB*)mins = minimums;
        // unrolled: constant chunk indices fold each format's shifts and offsets
        codes[0] = F.Chunk<L, TB, TS, TF>(block, 0);
        codes[1] = F.Chunk<L, TB, TS, TF>(block, 1);
        codes[2] = F.Chunk<L, TB, TS, TF>(block, 2);
        codes[3] = F.Chunk<L, TB, TS, TF>(block, 3);
        codes[4] = F.Chunk<L, TB, TS, TF>(block, 4);
        codes[5] = F.Chunk<L, TB, TS, TF>(block, 5);
        codes[6] = F.Chunk<L, TB, TS, TF>(block, 6);
        codes[7] = F.Chunk<L, TB, TS, TF>(block, 7);
    }

    private static void RowPointers(byte* w, nint rowBytes, int first, int count, byte** rows)
    {
        for (var r = 0; r < Panel.Rows; r++) rows[r] = w + (first + (r < count ? r : 0)) * rowBytes;
    }

    /// <summary>Writes the 8×8 transpose of the 32-bit lanes of eight rows of 32 codes (vector g of the output holds lane g of
    /// every row), flipping the top bit of each code when <paramref name="biased"/> (signed code + 128).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(byte* rows, bool biased, byte* dst)
    {
        if (!Avx2.IsSupported)
        {
            var bias = biased ? 0x80808080u : 0;
            for (var g = 0; g < 8; g++)
                for (var r = 0; r < Panel.Rows; r++)
                    ((uint*)dst)[Panel.Rows * g + r] = ((uint*)rows)[8 * r + g] ^ bias;
            return;
        }
        var flip = Vector256.Create(biased ? 0x80808080u : 0).AsInt32();
        var t0 = Avx2.UnpackLow(Avx.LoadVector256((int*)rows) ^ flip, Avx.LoadVector256((int*)(rows + 32)) ^ flip);
        var t1 = Avx2.UnpackHigh(Avx.LoadVector256((int*)rows) ^ flip, Avx.LoadVector256((int*)(rows + 32)) ^ flip);
        var t2 = Avx2.UnpackLow(Avx.LoadVector256((int*)(rows + 64)) ^ flip, Avx.LoadVector256((int*)(rows + 96)) ^ flip);
        var t3 = Avx2.UnpackHigh(Avx.LoadVector256((int*)(rows + 64)) ^ flip, Avx.LoadVector256((int*)(rows + 96)) ^ flip);
        var t4 = Avx2.UnpackLow(Avx.LoadVector256((int*)(rows + 128)) ^ flip, Avx.LoadVector256((int*)(rows + 160)) ^ flip);
        var t5 = Avx2.UnpackHigh(Avx.LoadVector256((int*)(rows + 128)) ^ flip, Avx.LoadVector256((int*)(rows + 160)) ^ flip);
        var t6 = Avx2.UnpackLow(Avx.LoadVector256((int*)(rows + 192)) ^ flip, Avx.LoadVector256((int*)(rows + 224)) ^ flip);
        var t7 = Avx2.UnpackHigh(Avx.LoadVector256((int*)(rows + 192)) ^ flip, Avx.LoadVector256((int*)(rows + 224)) ^ flip);
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
