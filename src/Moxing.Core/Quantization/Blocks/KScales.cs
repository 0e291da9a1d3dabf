using System.Runtime.CompilerServices;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>The 12-byte packing of eight 6-bit scales and eight 6-bit mins shared by Q4_K and Q5_K (ggml's get_scale_min_k4).</summary>
internal static unsafe class KScales
{
    /// <summary>
    /// Sets lanes 0..7 to <c>d * scale[j]</c> and lanes 8..15 to <c>-(dmin * min[j])</c>, unpacking all sixteen 6-bit
    /// fields with four word operations as ggml's SIMD kernels do.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Unpack(byte* q, float d, float dmin, ref ScaleSet set) => set.Set(Codes(q), d, -dmin);

    /// <summary>The sixteen 6-bit fields as bytes: scales in bytes 0..7, mins in bytes 8..15 (reads 16 bytes: the 12 and the 4 after them).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Codes(byte* q)
    {
        // words a, b, c of the packing: scales = (a & low6, (c & low4) | (a >> 6 & low2) << 4), mins likewise from b and c >> 4;
        // lanes 0/2 take the low-6 form of a/b, lanes 1/3 the split form, all four computed at once
        var words = Vector128.Load((uint*)q);
        var ab = Vector128.Shuffle(words, Vector128.Create(0u, 0, 1, 1));
        var c = Vector128.Shuffle(words, Vector128.Create(2u, 2, 2, 2));
        var cShifted = Blend(c, Vector128.ShiftRightLogical(c, 4), 0b1000);
        var split = (cShifted & Vector128.Create(0x0F0F0F0Fu)) | (Vector128.ShiftRightLogical(ab, 2) & Vector128.Create(0x30303030u));
        return Blend(ab & Vector128.Create(0x3F3F3F3Fu), split, 0b1010).AsByte();
    }

    /// <summary><see cref="Codes(byte*)"/> of two packings, <paramref name="a"/>'s in the low 128-bit lane: the same operations
    /// on both lanes at once (AVX2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Codes(byte* a, byte* b)
    {
        var words = Vector256.Create(Vector128.Load((uint*)a), Vector128.Load((uint*)b));
        var ab = Avx2.Shuffle(words, 0b01_01_00_00);
        var c = Avx2.Shuffle(words, 0b10_10_10_10);
        var cShifted = Avx2.Blend(c, Vector256.ShiftRightLogical(c, 4), 0b1000_1000);
        var split = (cShifted & Vector256.Create(0x0F0F0F0Fu)) | (Vector256.ShiftRightLogical(ab, 2) & Vector256.Create(0x30303030u));
        return Avx2.Blend(ab & Vector256.Create(0x3F3F3F3Fu), split, 0b1010_1010).AsByte();
    }

    /// <summary>Lane i of <paramref name="b"/> where bit i of <paramref name="lanes"/> is set, else of <paramref name="a"/>: one
    /// vpblendd with AVX2 (a ConditionalSelect's byte blend reloads its mask constant at every use in a loop).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> Blend(Vector128<uint> a, Vector128<uint> b, [ConstantExpected] byte lanes) =>
        Avx2.IsSupported
            ? Avx2.Blend(a, b, lanes)
            : Vector128.ConditionalSelect(Vector128.Create((lanes & 1) != 0 ? ~0u : 0, (lanes & 2) != 0 ? ~0u : 0, (lanes & 4) != 0 ? ~0u : 0,
                (lanes & 8) != 0 ? ~0u : 0), b, a);

    /// <summary>The eight per-32 scales as shorts in chunk order (each for both 16-groups of its sub-block) and the eight
    /// per-32 minimums in group order (each twice), as <see cref="IQ8KDot.Scales"/> gives them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Scales<L, TB, TS, TF>(byte* q, out TB minimums)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        FromCodes<L, TB, TS, TF>(Codes(q), out minimums);

    /// <summary><see cref="Scales"/> of the packings at <paramref name="a"/> and <paramref name="b"/> (two rows' super-blocks),
    /// <paramref name="a"/>'s returned.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB PairScales<L, TB, TS, TF>(byte* a, byte* b, out TB minimumsA, out TB scalesB, out TB minimumsB)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        if (!Avx2.IsSupported)
        {
            scalesB = Scales<L, TB, TS, TF>(b, out minimumsB);
            return Scales<L, TB, TS, TF>(a, out minimumsA);
        }
        var both = Codes(a, b);
        scalesB = FromCodes<L, TB, TS, TF>(both.GetUpper(), out minimumsB);
        return FromCodes<L, TB, TS, TF>(both.GetLower(), out minimumsA);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TB FromCodes<L, TB, TS, TF>(Vector128<byte> codes, out TB minimums)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        minimums = L.Widen(GroupScales.HighPairs(codes), 1);
        return L.Widen(Vector128.Shuffle(codes, Vector128.Create((byte)0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7)).AsSByte(), 1);
    }
}
