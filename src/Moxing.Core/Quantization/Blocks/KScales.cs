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
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var codes = Codes(q);
        minimums = L.Widen(GroupScales.HighPairs(codes), 1);
        return L.Widen(Vector128.Shuffle(codes, Vector128.Create((byte)0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7)).AsSByte(), 1);
    }
}
