using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Moxing.Core.Kernels.Half;
using Moxing.Core.Kernels.Integer;
using Moxing.Core.Kernels.Lanes;
using Moxing.Core.Quantization.Blocks;

namespace Moxing.Core.Kernels.Repack;

/// <summary>
/// Products of <see cref="NibbleRows8{F}"/> groups (AVX2 + FMA). Code vector v of a group block (codes 4v .. 4v + 3 of rows
/// 0..7, one row per 32-bit lane — a panel's layout) is a nibble vector's low or high nibbles (IQ4_NL: their codebook levels), for Q5_0/Q5_1 or-ed with the rows'
/// fifth bits spread by one multiply: bits 4v .. 4v + 3 of a row's word times 0x02040810 land on bit 4 of the lane's four
/// bytes. One activation vector: the codes (below 32) times four broadcast activation codes each, four pmaddubsw results added
/// in 16 bits (4 · 2 · 31 · 128 &lt; 2^15) before one pmaddwd, and one float step per block for all eight rows. Several:
/// the code vectors become panels (<see cref="PanelProduct{P, L, TB, TS, TF}"/>) with no transpose.
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
            if (F.Codebook)
                sums = SignedProducts(a, q, 0) + SignedProducts(a, q, 1) + SignedProducts(a, q, 2) + SignedProducts(a, q, 3)
                    + SignedProducts(a, q, 4) + SignedProducts(a, q, 5) + SignedProducts(a, q, 6) + SignedProducts(a, q, 7);
            else
            {
                var low = Products(a, words, q, 0, 1, 2, 3);
                var high = Products(a, words, q, 4, 5, 6, 7);
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

    /// <summary>Code vectors v0..v3 times their activation quads, added in 16 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Products(byte* a, Vector256<uint> words, byte* q, int v0, int v1, int v2, int v3) =>
        Avx2.MultiplyAddAdjacent(Codes(a, words, v0), Vector256.Create(*(int*)(q + 4 * v0)).AsSByte())
        + Avx2.MultiplyAddAdjacent(Codes(a, words, v1), Vector256.Create(*(int*)(q + 4 * v1)).AsSByte())
        + Avx2.MultiplyAddAdjacent(Codes(a, words, v2), Vector256.Create(*(int*)(q + 4 * v2)).AsSByte())
        + Avx2.MultiplyAddAdjacent(Codes(a, words, v3), Vector256.Create(*(int*)(q + 4 * v3)).AsSByte());

    /// <summary>Signed code vector v (IQ4_NL's levels, up to 127 in magnitude) times its activation quad, in 32 bits: the abs/sign
    /// trick, and no 16-bit sums across vectors (one pmaddubsw pair already reaches 2 · 127 · 127).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> SignedProducts(byte* a, byte* q, int v) =>
        Avx2ByteLanes.DotSigned(Codes(a, default, v), Vector256.Create(*(int*)(q + 4 * v)).AsByte(), Vector256<int>.Zero);

    /// <summary>Code vector v (0..7, a constant) of the group block at <paramref name="a"/>, whose fifth-bit words (Q5_0/Q5_1) are
    /// <paramref name="words"/>: codes 4v .. 4v + 3 of rows 0..7, unsigned.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Codes(byte* a, Vector256<uint> words, int v)
    {
        var nibbles = Avx.LoadVector256(a + NibbleRows8<F>.Nibbles + 32 * (v & 3));
        if (v >= 4) nibbles = Avx2.ShiftRightLogical(nibbles.AsUInt16(), 4).AsByte();
        if (F.Codebook) return Avx2.Shuffle(Vector256.Create(Iq4Codebook.Table).AsByte(), nibbles & Vector256.Create((byte)15));
        if (!F.FifthBits) return nibbles & Vector256.Create((byte)15);
        // immediate shifts (a shift by a variable count is a slower instruction); v is a constant after inlining
        var bits = v switch
        {
            0 => words,
            1 => Avx2.ShiftRightLogical(words, 4),
            2 => Avx2.ShiftRightLogical(words, 8),
            3 => Avx2.ShiftRightLogical(words, 12),
            4 => Avx2.ShiftRightLogical(words, 16),
            5 => Avx2.ShiftRightLogical(words, 20),
            6 => Avx2.ShiftRightLogical(words, 24),
            _ => Avx2.ShiftRightLogical(words, 28),
        };
        var fifth = Avx2.MultiplyLow(bits & Vector256.Create(15u), Vector256.Create(0x02040810u));
        return (nibbles & Vector256.Create((byte)15)) | (fifth.AsByte() & Vector256.Create((byte)0x10));
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
            Avx.Store(panel, Codes(a, words, 0));
            Avx.Store(panel + 32, Codes(a, words, 1));
            Avx.Store(panel + 64, Codes(a, words, 2));
            Avx.Store(panel + 96, Codes(a, words, 3));
            Avx.Store(panel + 128, Codes(a, words, 4));
            Avx.Store(panel + 160, Codes(a, words, 5));
            Avx.Store(panel + 192, Codes(a, words, 6));
            Avx.Store(panel + 224, Codes(a, words, 7));
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
