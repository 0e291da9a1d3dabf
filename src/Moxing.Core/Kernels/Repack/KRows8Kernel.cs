using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Moxing.Core.Kernels.Half;
using Moxing.Core.Kernels.Integer;

namespace Moxing.Core.Kernels.Repack;

/// <summary>
/// Matrix-vector product of <see cref="KRows8{F}"/> groups with one row of Q8_K activation blocks (AVX2 + FMA): eight rows per
/// pass, one row per 32-bit lane. Each 32-byte load holds eight codes of four rows (for Q5_K or-ed with their fifth bits,
/// shifted to bit 4 from the matching qh register); pmaddubsw products of a sub-block add in 16 bits (four of them stay under
/// 2^15 for codes below 32: 4 · 2 · 31 · 128) before one pmaddwd applies the four rows' scales; the scales and minimums of
/// eight rows unpack in about ten operations each, and every super-block ends in one float step for all eight rows.
/// </summary>
internal static unsafe class KRows8Kernel<F> where F : struct, IKNibbleFormat
{
    /// <summary>The products of the eight rows of the group at <paramref name="a"/> with one row of Q8_K activation blocks.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static Vector256<float> Group(byte* a, int blocks, byte* x)
    {
        var acc = Vector256<float>.Zero;
        for (var i = 0; i < blocks; i++, a += KRows8<F>.BlockBytes, x += ActivationBlocks.Q8KBytes)
        {
            Prefetch.Lines(a + Prefetch.Distance, KRows8<F>.BlockBytes);
            acc = SuperBlock(a, x, acc);
        }
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> SuperBlock(byte* a, byte* x, Vector256<float> acc)
    {
        var scales = SixBits.Load(a + KRows8<F>.Scales, out var scalesHigh);
        var q = x + ActivationBlocks.Q8KCodes;
        var codes = a + KRows8<F>.Codes;
        // unrolled: each column's scale masks and offsets are constants
        Vector256<int> left = Vector256<int>.Zero, right = Vector256<int>.Zero;
        Column(codes, q, 0, scales, ref left, ref right);
        Column(codes, q, 1, scales, ref left, ref right);
        Column(codes, q, 2, scalesHigh, ref left, ref right);
        Column(codes, q, 3, scalesHigh, ref left, ref right);
        // lanes 0..3 of the horizontal add are rows 0..3, lanes 4..7 rows 4..7
        var sums = Avx2.HorizontalAdd(left, right);
        var dx = Vector256.Create(*(float*)x);
        acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), HalfBits.Eight(a + KRows8<F>.D) * dx, acc);
        return Fma.MultiplyAddNegated(Avx.ConvertToVector256Single(MinimumTerms(a, x)), HalfBits.Eight(a + KRows8<F>.DMin) * dx, acc);
    }

    /// <summary>Column j (sub-blocks 2j and 2j + 1, from the low and high nibbles) of the eight rows into the 32-bit sums of
    /// rows 0, 1, 4, 5 (<paramref name="left"/>) and rows 2, 3, 6, 7 (<paramref name="right"/>), two lanes per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Column(byte* codes, byte* q, int j, Vector256<byte> scales, ref Vector256<int> left, ref Vector256<int> right)
    {
        // the four quarters written out: a loop is not unrolled by the JIT, and its first-quarter test stays a branch
        var at = codes + 256 * j;
        var fifth = codes + (KRows8<F>.High - KRows8<F>.Codes);
        var x = q + 64 * j;
        // each quarter's products added before the next's are made: four quarters' held at once spilled registers
        Quarter(at, fifth, j, x, out var lowL, out var highL, out var lowR, out var highR);
        Quarter(at + 64, fifth + 64, j, x + 8, out var l, out var h, out var lr, out var hr);
        (lowL, highL, lowR, highR) = (lowL + l, highL + h, lowR + lr, highR + hr);
        Quarter(at + 128, fifth + 128, j, x + 16, out l, out h, out lr, out hr);
        (lowL, highL, lowR, highR) = (lowL + l, highL + h, lowR + lr, highR + hr);
        Quarter(at + 192, fifth + 192, j, x + 24, out l, out h, out lr, out hr);
        (lowL, highL, lowR, highR) = (lowL + l, highL + h, lowR + lr, highR + hr);
        var c = 2 * j & 3;
        left += Avx2.MultiplyAddAdjacent(lowL, ScaleWords(scales, c, 0)) + Avx2.MultiplyAddAdjacent(highL, ScaleWords(scales, c + 1, 0));
        right += Avx2.MultiplyAddAdjacent(lowR, ScaleWords(scales, c, 1)) + Avx2.MultiplyAddAdjacent(highR, ScaleWords(scales, c + 1, 1));
    }

    /// <summary>The byte products of one quarter (eight codes per row) of column j: low and high nibbles of both row halves,
    /// with Q5_K's fifth bits from the quarter's qh registers at <paramref name="fifth"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Quarter(byte* at, byte* fifth, int j, byte* x,
        out Vector256<short> lowL, out Vector256<short> highL, out Vector256<short> lowR, out Vector256<short> highR)
    {
        var nibble = Vector256.Create((byte)0x0F);
        var xl = Avx2.BroadcastScalarToVector256((long*)x).AsSByte();
        var xh = Avx2.BroadcastScalarToVector256((long*)(x + 32)).AsSByte();
        var l = Avx.LoadVector256(at);
        var r = Avx.LoadVector256(at + 32);
        Vector256<byte> cl = l & nibble, ch = Avx2.ShiftRightLogical(l.AsUInt16(), 4).AsByte() & nibble;
        Vector256<byte> cr = r & nibble, chr = Avx2.ShiftRightLogical(r.AsUInt16(), 4).AsByte() & nibble;
        if (F.FifthBits)
        {
            var bl = Avx.LoadVector256(fifth);
            var br = Avx.LoadVector256(fifth + 32);
            cl |= FifthBit(bl, 2 * j);
            ch |= FifthBit(bl, 2 * j + 1);
            cr |= FifthBit(br, 2 * j);
            chr |= FifthBit(br, 2 * j + 1);
        }
        lowL = Avx2.MultiplyAddAdjacent(cl, xl);
        highL = Avx2.MultiplyAddAdjacent(ch, xh);
        lowR = Avx2.MultiplyAddAdjacent(cr, xl);
        highR = Avx2.MultiplyAddAdjacent(chr, xh);
    }

    /// <summary>Bit <paramref name="b"/> (0..7, a constant) of each byte moved to bit 4, the other bits cleared: 16-bit shifts
    /// by immediates, whose bits crossing into a neighbouring byte land outside bit 4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> FifthBit(Vector256<byte> bits, int b)
    {
        var v = bits.AsUInt16();
        var moved = b switch
        {
            0 => Avx2.ShiftLeftLogical(v, 4),
            1 => Avx2.ShiftLeftLogical(v, 3),
            2 => Avx2.ShiftLeftLogical(v, 2),
            3 => Avx2.ShiftLeftLogical(v, 1),
            4 => v,
            5 => Avx2.ShiftRightLogical(v, 1),
            6 => Avx2.ShiftRightLogical(v, 2),
            _ => Avx2.ShiftRightLogical(v, 3),
        };
        return moved.AsByte() & Vector256.Create((byte)0x10);
    }

    /// <summary>Sub-block (c mod 4)'s scales of the four rows of half h as words, four per row: each 128-bit lane picks its
    /// two rows' bytes (rows 2h, 2h + 1 below, 4 + 2h, 5 + 2h above) from the decoded values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> ScaleWords(Vector256<byte> values, int c, int h) =>
        Avx2.Shuffle(values, Avx.LoadVector256(Masks + 32 * (2 * c + h))).AsInt16();

    /// <summary>Σ over sub-blocks of minimum · (sum of the sub-block's 32 activation codes), per row (lanes 0..7 = rows 0..7).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> MinimumTerms(byte* a, byte* x)
    {
        var mins = SixBits.Load(a + KRows8<F>.Mins, out var minsHigh);
        // per-32 sums of the activation codes: lanes 0, 1 of the low half hold pairs (0, 1), (2, 3); of the high half (4, 5), (6, 7)
        var sums16 = Avx.LoadVector256((short*)(x + ActivationBlocks.Q8KSums));
        var pairs = Avx2.HorizontalAdd(sums16, sums16).AsInt32();
        var terms = Avx2.MultiplyAddAdjacent(MinWords(mins, 0), Avx2.PermuteVar8x32(pairs, Vector256.Create(0)).AsInt16());
        terms += Avx2.MultiplyAddAdjacent(MinWords(mins, 1), Avx2.PermuteVar8x32(pairs, Vector256.Create(1)).AsInt16());
        terms += Avx2.MultiplyAddAdjacent(MinWords(minsHigh, 0), Avx2.PermuteVar8x32(pairs, Vector256.Create(4)).AsInt16());
        return terms + Avx2.MultiplyAddAdjacent(MinWords(minsHigh, 1), Avx2.PermuteVar8x32(pairs, Vector256.Create(5)).AsInt16());
    }

    /// <summary>The minimums of sub-blocks 2p, 2p + 1 (p = <paramref name="odd"/> within the decoded half) as word pairs per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> MinWords(Vector256<byte> values, int odd) =>
        Avx2.Shuffle(values, Avx.LoadVector256(Masks + 32 * (8 + odd))).AsInt16();

    // the byte shuffles as 32-byte memory operands (a Vector256.Create of them is built from a 16-byte constant at each use):
    // 8 for ScaleWords (c, h), then 2 for MinWords; both 128-bit halves alike, the high byte of every word zeroed
    private static readonly byte* Masks = CreateMasks();

    private static byte* CreateMasks()
    {
        var masks = (byte*)NativeMemory.AlignedAlloc(10 * 32, 32);
        for (var m = 0; m < 10; m++)
            for (var i = 0; i < 32; i++)
            {
                var word = (i & 15) >> 1;
                // ScaleWords: words 0..3 take row 2h's byte 4c + 2h, words 4..7 the next; MinWords: word 2r + e takes byte 8p + 4e + r
                var source = m < 8 ? 4 * (m >> 1) + 2 * (m & 1) + (word >> 2) : 8 * (m - 8) + 4 * (word & 1) + (word >> 1);
                masks[32 * m + i] = (i & 1) == 0 ? (byte)source : (byte)0x80;
            }
        return masks;
    }
}
