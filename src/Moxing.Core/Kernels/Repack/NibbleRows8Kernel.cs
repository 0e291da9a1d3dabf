using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Moxing.Core.Kernels.Half;
using Moxing.Core.Kernels.Integer;
using Moxing.Core.Kernels.Lanes;
using Moxing.Core.Quantization.Blocks;

namespace Moxing.Core.Kernels.Repack;

/// <summary>
/// Products of <see cref="NibbleRows8{F}"/> groups (AVX2 + FMA). Code vector v of a group block (codes 4v .. 4v + 3 of rows
/// 0..7, one row per 32-bit lane — a panel's layout) is a nibble vector's low or high nibbles (IQ4_NL, IQ4_XS: their codebook levels), for Q5_0/Q5_1 or-ed with the rows'
/// fifth bits, stored transposed (<see cref="NibbleRows8{F}.LaneBits"/>), moved onto bit 4 of the lane's four bytes by one shift
/// and a mask. One activation vector: the codes (below 32) times four broadcast activation codes each, four pmaddubsw results added
/// in 16 bits (4 · 2 · 31 · 128 &lt; 2^15) before one pmaddwd, and one float step per block for all eight rows; IQ4_XS's
/// pmaddwd multiplies by the rows' block scales, and its float step comes once per super-block. Several (the 32-weight
/// formats): the code vectors become panels (<see cref="PanelProduct{P, L, TB, TS, TF}"/>) with no transpose.
/// </summary>
internal static unsafe class NibbleRows8Kernel<F> where F : struct, INibbleFormat
{
    /// <summary>The products of the eight rows of the group at <paramref name="a"/> with one row of Q8 activation blocks.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static Vector256<float> Group(byte* a, int blocks, byte* x)
    {
        var acc = Vector256<float>.Zero;
        for (var i = 0; i < blocks; i++, a += NibbleRows8<F>.BlockBytes, x += ActivationBlocks.Q8Bytes)
        {
            Prefetch.Lines(a + Prefetch.Distance, NibbleRows8<F>.BlockBytes);
            var q = x + ActivationBlocks.Q8Codes;
            var words = F.FifthBits ? Avx.LoadVector256((uint*)(a + NibbleRows8<F>.High)) : default;
            Vector256<int> sums;
            if (F.Codebook) sums = Levels(a + NibbleRows8<F>.Nibbles, q, Vector256<short>.One, Vector256<int>.Zero);
            else
            {
                var low = Products(a + NibbleRows8<F>.Nibbles, words, q, 0, 1, 2, 3);
                var high = Products(a + NibbleRows8<F>.Nibbles, words, q, 4, 5, 6, 7);
                sums = Avx2.MultiplyAddAdjacent(low, Vector256.Create((short)1)) + Avx2.MultiplyAddAdjacent(high, Vector256.Create((short)1));
            }
            // the panel's float steps (the activation block holds dx and dx · Σ x): Σ (d · code + offset) · dx · x =
            // (Σ code · x) · (d · dx) + offset · (dx · Σ x), the offset being m or −offset · d
            var d = HalfBits.Eight(a + NibbleRows8<F>.D);
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), d * Vector256.Create(*(float*)x), acc);
            if (F.HasMin || F.Offset != 0)
                acc = Fma.MultiplyAdd(Offsets(a, d), Vector256.Create(*(float*)(x + 4)), acc);
        }
        return acc;
    }

    /// <summary>The products of the eight rows of the IQ4_XS group at <paramref name="a"/> with one row of Q8_K activation blocks.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static Vector256<float> SuperGroup(byte* a, int blocks, byte* x)
    {
        var acc = Vector256<float>.Zero;
        for (var i = 0; i < blocks; i++, a += NibbleRows8<F>.BlockBytes, x += ActivationBlocks.Q8KBytes)
        {
            Prefetch.Lines(a + Prefetch.Distance, NibbleRows8<F>.BlockBytes);
            var low = SixBits.Load(a + NibbleRows8<F>.Scales, out var high);
            var nibbles = a + NibbleRows8<F>.Nibbles;
            var q = x + ActivationBlocks.Q8KCodes;
            // unrolled: each block's scale mask is a constant; even and odd blocks in two sums, two chains of adds at once
            var even = Levels(nibbles, q, ScaleWords(low, 0), Vector256<int>.Zero);
            var odd = Levels(nibbles + 128, q + 32, ScaleWords(low, 1), Vector256<int>.Zero);
            even = Levels(nibbles + 256, q + 64, ScaleWords(low, 2), even);
            odd = Levels(nibbles + 384, q + 96, ScaleWords(low, 3), odd);
            even = Levels(nibbles + 512, q + 128, ScaleWords(high, 0), even);
            odd = Levels(nibbles + 640, q + 160, ScaleWords(high, 1), odd);
            even = Levels(nibbles + 768, q + 192, ScaleWords(high, 2), even);
            odd = Levels(nibbles + 896, q + 224, ScaleWords(high, 3), odd);
            // Σ d · (ls − 32) · level · dx · x = d · dx · Σ (ls − 32) · Σ level · x
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(even + odd), HalfBits.Eight(a + NibbleRows8<F>.D) * Vector256.Create(*(float*)x), acc);
        }
        return acc;
    }

    /// <summary>Block (c mod 4)'s scales less 32 of the eight rows (decoded by <see cref="SixBits.Load"/>) in both words of
    /// each row's lane: one in-lane shuffle of the low bytes, the high bytes zeroed, and a subtraction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> ScaleWords(Vector256<byte> values, int c) =>
        Avx2.Shuffle(values, Avx.LoadVector256(ScaleMasks + 32 * c)).AsInt16() - Vector256.Create((short)32);

    // ScaleWords' byte shuffles as 32-byte memory operands (a Vector256.Create of them is built from a 16-byte constant at
    // each use): in both 128-bit halves, lane j's two words take byte 4c + j
    private static readonly byte* ScaleMasks = CreateScaleMasks();

    private static byte* CreateScaleMasks()
    {
        var masks = (byte*)NativeMemory.AlignedAlloc(4 * 32, 32);
        for (var c = 0; c < 4; c++)
            for (var i = 0; i < 32; i++)
                masks[32 * c + i] = (i & 1) == 0 ? (byte)(4 * c + ((i & 15) >> 2)) : (byte)0x80;
        return masks;
    }

    /// <summary>Code vectors v0..v3 of the nibble vectors at <paramref name="nibbles"/> times their activation quads, added in 16 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Products(byte* nibbles, Vector256<uint> words, byte* q, int v0, int v1, int v2, int v3) =>
        Avx2.MultiplyAddAdjacent(Codes(nibbles, words, v0), Vector256.Create(*(int*)(q + 4 * v0)).AsSByte())
        + Avx2.MultiplyAddAdjacent(Codes(nibbles, words, v1), Vector256.Create(*(int*)(q + 4 * v1)).AsSByte())
        + Avx2.MultiplyAddAdjacent(Codes(nibbles, words, v2), Vector256.Create(*(int*)(q + 4 * v2)).AsSByte())
        + Avx2.MultiplyAddAdjacent(Codes(nibbles, words, v3), Vector256.Create(*(int*)(q + 4 * v3)).AsSByte());

    /// <summary>The codebook levels (up to 127 in magnitude) of one 32-weight block's eight code vectors, from its nibble vectors
    /// at <paramref name="nibbles"/>, times their activation quads at <paramref name="q"/>, into <paramref name="acc"/>: the
    /// abs/sign trick, each pmaddubsw result (already up to 2 · 127 · 127, so none are added in 16 bits) taken to 32 bits by a
    /// pmaddwd with the rows' block scales as word pairs (IQ4_NL: ones).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Levels(byte* nibbles, byte* q, Vector256<short> scales, Vector256<int> acc)
    {
        // written out: a loop is not unrolled by the JIT, and each vector's shift and offsets are constants
        acc = Level(nibbles, q, scales, 0, acc);
        acc = Level(nibbles, q, scales, 1, acc);
        acc = Level(nibbles, q, scales, 2, acc);
        acc = Level(nibbles, q, scales, 3, acc);
        acc = Level(nibbles, q, scales, 4, acc);
        acc = Level(nibbles, q, scales, 5, acc);
        acc = Level(nibbles, q, scales, 6, acc);
        return Level(nibbles, q, scales, 7, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Level(byte* nibbles, byte* q, Vector256<short> scales, int v, Vector256<int> acc) =>
        Avx2ByteLanes.DotScaledSigned(Codes(nibbles, default, v), Vector256.Create(*(int*)(q + 4 * v)).AsByte(), scales.AsByte(), acc);

    /// <summary>Code vector v (0..7, a constant) of the 32-weight block whose nibble vectors are at <paramref name="at"/> and
    /// fifth-bit words (Q5_0/Q5_1) <paramref name="words"/>: codes 4v .. 4v + 3 of rows 0..7, unsigned (IQ4_NL, IQ4_XS: their signed levels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Codes(byte* at, Vector256<uint> words, int v)
    {
        var nibbles = Avx.LoadVector256(at + 32 * (v & 3));
        if (v >= 4) nibbles = Avx2.ShiftRightLogical(nibbles.AsUInt16(), 4).AsByte();
        if (F.Codebook) return Avx2.Shuffle(Vector256.Create(Iq4Codebook.Table).AsByte(), nibbles & Vector256.Create((byte)15));
        if (!F.FifthBits) return nibbles & Vector256.Create((byte)15);
        // vector v's fifth bits sit at bit 8k + v of each lane: onto bit 4 of byte k by an immediate shift (a shift by a
        // variable count is a slower instruction; v is a constant after inlining)
        var bits = v switch
        {
            0 => Avx2.ShiftLeftLogical(words, 4),
            1 => Avx2.ShiftLeftLogical(words, 3),
            2 => Avx2.ShiftLeftLogical(words, 2),
            3 => Avx2.ShiftLeftLogical(words, 1),
            4 => words,
            5 => Avx2.ShiftRightLogical(words, 1),
            6 => Avx2.ShiftRightLogical(words, 2),
            _ => Avx2.ShiftRightLogical(words, 3),
        };
        return (nibbles & Vector256.Create((byte)15)) | (bits.AsByte() & Vector256.Create((byte)0x10));
    }

    /// <summary>Writes the panel of group rows [first, first + 8) — <paramref name="w"/> the packed matrix, <paramref name="rowBytes"/>
    /// a file row's bytes, so the group starts at w + first · rowBytes — as <see cref="PanelPacker.PackSmall"/> would from the
    /// file rows: each block's eight code vectors, then its d and offset (−offset · d, or m) per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackPanel(byte* w, nint rowBytes, int first, int count, int blocks, byte* panel)
    {
        var a = w + first * rowBytes;
        for (var i = 0; i < blocks; i++, a += NibbleRows8<F>.BlockBytes, panel += Panel.SmallBytes)
        {
            Prefetch.Lines(a + Prefetch.Distance, NibbleRows8<F>.BlockBytes);
            // unrolled: constant vector indices fold the shifts
            var words = F.FifthBits ? Avx.LoadVector256((uint*)(a + NibbleRows8<F>.High)) : default;
            var nibbles = a + NibbleRows8<F>.Nibbles;
            Avx.Store(panel, Codes(nibbles, words, 0));
            Avx.Store(panel + 32, Codes(nibbles, words, 1));
            Avx.Store(panel + 64, Codes(nibbles, words, 2));
            Avx.Store(panel + 96, Codes(nibbles, words, 3));
            Avx.Store(panel + 128, Codes(nibbles, words, 4));
            Avx.Store(panel + 160, Codes(nibbles, words, 5));
            Avx.Store(panel + 192, Codes(nibbles, words, 6));
            Avx.Store(panel + 224, Codes(nibbles, words, 7));
            var d = HalfBits.Eight(a + NibbleRows8<F>.D);
            Avx.Store((float*)(panel + Panel.SmallScale), d);
            Avx.Store((float*)(panel + Panel.SmallOffset), Offsets(a, d));
        }
    }

    /// <summary>The eight rows' offsets of the group block at <paramref name="a"/> with scales <paramref name="d"/>: m, or −offset · d.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Offsets(byte* a, Vector256<float> d) =>
        F.HasMin ? HalfBits.Eight(a + NibbleRows8<F>.M) : d * Vector256.Create((float)-F.Offset);
}
