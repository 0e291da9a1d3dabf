using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Moxing.Core.Kernels.Integer;

namespace Moxing.Core.Kernels.Repack;

/// <summary>
/// Matrix-vector product of <see cref="Q6KRows8"/> groups with one row of Q8_K activation blocks (AVX2 + FMA): eight rows per
/// pass, one row per 32-bit lane. Each 32-byte load holds eight codes' low nibbles (or high bit pairs) of four rows; the six-bit
/// codes (below 64) of two quarters of a 16-weight group add their pmaddubsw products in 16 bits (2 · 2 · 63 · 128 &lt; 2^15)
/// before one pmaddwd applies the four rows' scales; the codes' -32 comes off once per super-block through the activation's
/// per-16 sums, and every super-block ends in one float step for all eight rows.
/// </summary>
internal static unsafe class Q6KRows8Kernel
{
    /// <summary>True where the kernel runs (AVX2 and FMA).</summary>
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>y[8g .. 8g + 8) for groups g in [groupStart, groupEnd) of the packed matrix, x one row of Q8_K blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(byte* packed, int blocks, byte* x, float* y, int groupStart, int groupEnd)
    {
        var groupBytes = (nint)blocks * Q6KRows8.BlockBytes;
        for (var g = groupStart; g < groupEnd; g++)
            Group(packed + g * groupBytes, blocks, x).Store(y + Rows8.Rows * g);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector256<float> Group(byte* a, int blocks, byte* x)
    {
        var acc = Vector256<float>.Zero;
        for (var i = 0; i < blocks; i++, a += Q6KRows8.BlockBytes, x += ActivationBlocks.Q8KBytes)
        {
            Prefetch.Lines(a + Prefetch.Distance, Q6KRows8.BlockBytes);
            acc = SuperBlock(a, x, acc);
        }
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> SuperBlock(byte* a, byte* x, Vector256<float> acc)
    {
        var q = x + ActivationBlocks.Q8KCodes;
        Vector256<int> left = Vector256<int>.Zero, right = Vector256<int>.Zero;
        // unrolled: each run's shifts, offsets and scale tables are constants
        Run(a, q, 0, 0, 0, ref left, ref right);
        Run(a, q, 0, 0, 1, ref left, ref right);
        Run(a, q, 0, 1, 0, ref left, ref right);
        Run(a, q, 0, 1, 1, ref left, ref right);
        Run(a, q, 1, 0, 0, ref left, ref right);
        Run(a, q, 1, 0, 1, ref left, ref right);
        Run(a, q, 1, 1, 0, ref left, ref right);
        Run(a, q, 1, 1, 1, ref left, ref right);
        // lanes 0..3 of the horizontal add are rows 0..3, lanes 4..7 rows 4..7; the codes' -32 via Σ scale · (group sum)
        var sums = Avx2.HorizontalAdd(left, right) - Avx2.ShiftLeftLogical(Offsets(a, x), 5);
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), Rows8.Halves(a + Q6KRows8.D) * Vector256.Create(*(float*)x), acc);
    }

    /// <summary>Quarters 2p, 2p + 1 (<paramref name="pair"/> = p) of column c of half h: groups 8h + 2c + p (low nibbles) and
    /// 8h + 4 + 2c + p (high nibbles) of the eight rows into the 32-bit sums of rows 0, 1, 4, 5 (<paramref name="left"/>)
    /// and rows 2, 3, 6, 7 (<paramref name="right"/>), two lanes per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Run(byte* a, byte* q, int h, int c, int pair, ref Vector256<int> left, ref Vector256<int> right)
    {
        Quarter(a, q, h, c, 2 * pair, out var lowL, out var highL, out var lowR, out var highR);
        Quarter(a, q, h, c, 2 * pair + 1, out var lowL1, out var highL1, out var lowR1, out var highR1);
        var low = Table(a, 4 * h + c);
        var high = Table(a, 4 * h + 2 + c);
        left += Avx2.MultiplyAddAdjacent(lowL + lowL1, ScaleWords(low, pair, 0)) + Avx2.MultiplyAddAdjacent(highL + highL1, ScaleWords(high, pair, 0));
        right += Avx2.MultiplyAddAdjacent(lowR + lowR1, ScaleWords(low, pair, 1)) + Avx2.MultiplyAddAdjacent(highR + highR1, ScaleWords(high, pair, 1));
    }

    /// <summary>The byte products of quarter <paramref name="quarter"/> (eight codes per row) of column c of half h: the codes
    /// of the low and high nibbles, both row halves, each times its eight activation codes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Quarter(byte* a, byte* q, int h, int c, int quarter,
        out Vector256<short> lowL, out Vector256<short> highL, out Vector256<short> lowR, out Vector256<short> highR)
    {
        var at = 128 * h + 32 * c + 8 * quarter;
        var xl = Avx2.BroadcastScalarToVector256((long*)(q + at)).AsSByte();
        var xh = Avx2.BroadcastScalarToVector256((long*)(q + at + 64)).AsSByte();
        var low = a + Q6KRows8.LowPair(h, c, quarter);
        var high = a + Q6KRows8.HighPair(h, quarter);
        lowL = Avx2.MultiplyAddAdjacent(LowCodes(Avx.LoadVector256(low), Avx.LoadVector256(high), c), xl);
        highL = Avx2.MultiplyAddAdjacent(HighCodes(Avx.LoadVector256(low), Avx.LoadVector256(high), c), xh);
        lowR = Avx2.MultiplyAddAdjacent(LowCodes(Avx.LoadVector256(low + 32), Avx.LoadVector256(high + 32), c), xl);
        highR = Avx2.MultiplyAddAdjacent(HighCodes(Avx.LoadVector256(low + 32), Avx.LoadVector256(high + 32), c), xh);
    }

    /// <summary>Six-bit codes from low nibbles and the high bit pair of column c (qh bits 2c, 2c + 1) moved to bits 4, 5.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> LowCodes(Vector256<byte> nibbles, Vector256<byte> bits, int c)
    {
        // 16-bit shifts: the bits a byte receives from its neighbour fall outside the mask
        var moved = (c == 0 ? Avx2.ShiftLeftLogical(bits.AsUInt16(), 4) : Avx2.ShiftLeftLogical(bits.AsUInt16(), 2)).AsByte();
        return (nibbles & Vector256.Create((byte)0x0F)) | (moved & Vector256.Create((byte)0x30));
    }

    /// <summary>Six-bit codes from high nibbles and the high bit pair of column c (qh bits 4 + 2c, 5 + 2c) moved to bits 4, 5.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> HighCodes(Vector256<byte> nibbles, Vector256<byte> bits, int c)
    {
        var moved = c == 0 ? bits : Avx2.ShiftRightLogical(bits.AsUInt16(), 2).AsByte();
        return (Avx2.ShiftRightLogical(nibbles.AsUInt16(), 4).AsByte() & Vector256.Create((byte)0x0F)) | (moved & Vector256.Create((byte)0x30));
    }

    /// <summary>Scale table p (groups 2p, 2p + 1) as words: rows 0..3 in the low 128-bit half, rows 4..7 in the high one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Table(byte* a, int p) => Avx2.ConvertToVector256Int16((sbyte*)(a + Q6KRows8.Scales + 16 * p));

    /// <summary>Group 2p + e's scales of the four rows of side s as words, four per row, each 128-bit half picking from its
    /// four rows' pairs (rows 2s, 2s + 1 below, 4 + 2s, 5 + 2s above).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> ScaleWords(Vector256<short> table, int e, int s) =>
        Avx2.Shuffle(table.AsByte(), Avx.LoadVector256(Masks + 32 * (2 * e + s))).AsInt16();

    /// <summary>Σ over the 16 groups of scale · (sum of the group's 16 activation codes), per row (lanes 0..7 = rows 0..7).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Offsets(byte* a, byte* x)
    {
        // the activation's per-16 sums as pairs (2p, 2p + 1): one 32-bit value per table
        var sums = (int*)(x + ActivationBlocks.Q8KSums);
        var terms = Avx2.MultiplyAddAdjacent(Table(a, 0), Vector256.Create(sums[0]).AsInt16());
        for (var p = 1; p < 8; p++) terms += Avx2.MultiplyAddAdjacent(Table(a, p), Vector256.Create(sums[p]).AsInt16());
        return terms;
    }

    // the byte shuffles as 32-byte memory operands: mask 2e + s makes word k of each half the scale word 2 · (2s + k / 4) + e
    private static readonly byte* Masks = CreateMasks();

    private static byte* CreateMasks()
    {
        var masks = (byte*)NativeMemory.AlignedAlloc(4 * 32, 32);
        for (var m = 0; m < 4; m++)
            for (var i = 0; i < 32; i++)
            {
                int e = m >> 1, s = m & 1, k = (i & 15) >> 1;
                masks[32 * m + i] = (byte)(2 * (2 * (2 * s + k / 4) + e) + (i & 1));
            }
        return masks;
    }
}
