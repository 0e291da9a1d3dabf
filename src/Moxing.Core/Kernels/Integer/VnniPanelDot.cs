using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Moxing.Core.Kernels.Integer;

/// <summary>The panel dot products with AVX-VNNI: one <c>vpdpbusd</c> per vector takes unsigned and biased codes alike; signed
/// codes enter as their magnitudes with their signs on the activation codes.</summary>
internal readonly unsafe struct VnniPanelDot : IPanelDot
{
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported && AvxVnni.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Block<T>(byte* w, byte* x, nint xStride, bool signed, int largestCode,
        out Vector256<int> s0, out Vector256<int> s1, out Vector256<int> s2, out Vector256<int> s3) where T : struct, ICount
    {
        // one chain per token: four independent chains of eight vpdpbusd with four tokens
        s0 = s1 = s2 = s3 = Vector256<int>.Zero;
        byte* x1 = x + xStride, x2 = x + 2 * xStride, x3 = x + 3 * xStride;
        for (var g = 0; g < 8; g++)
        {
            var codes = Avx.LoadVector256(w + 32 * g);
            var factor = signed ? Avx2.Abs(codes.AsSByte()) : codes;
            s0 = AvxVnni.MultiplyWideningAndAdd(s0, factor, Activations(x + 4 * g, codes, signed));
            if (T.Count == 1) continue;
            s1 = AvxVnni.MultiplyWideningAndAdd(s1, factor, Activations(x1 + 4 * g, codes, signed));
            s2 = AvxVnni.MultiplyWideningAndAdd(s2, factor, Activations(x2 + 4 * g, codes, signed));
            s3 = AvxVnni.MultiplyWideningAndAdd(s3, factor, Activations(x3 + 4 * g, codes, signed));
        }
    }

    // Four activation codes broadcast, with the signs of `codes` when they are signed.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Activations(byte* x, Vector256<byte> codes, bool signed) =>
        signed ? Avx2.Sign(PanelCodes.Four(x), codes.AsSByte()) : PanelCodes.Four(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Group(Vector256<byte> c0, Vector256<byte> c1, Vector256<byte> c2, Vector256<byte> c3,
        Vector256<int> scale, byte* q, short codeSum, Vector256<int> acc, bool biased, int largestCode)
    {
        var even = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, c0, PanelCodes.Four(q));
        var odd = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, c1, PanelCodes.Four(q + 4));
        even = AvxVnni.MultiplyWideningAndAdd(even, c2, PanelCodes.Four(q + 8));
        odd = AvxVnni.MultiplyWideningAndAdd(odd, c3, PanelCodes.Four(q + 12));
        return Avx2.Add(acc, Avx2.MultiplyLow(Avx2.Add(even, odd), scale));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Shorts(Vector256<int> acc, Vector256<short> a, Vector256<short> b) => AvxVnni.MultiplyWideningAndAdd(acc, a, b);
}
