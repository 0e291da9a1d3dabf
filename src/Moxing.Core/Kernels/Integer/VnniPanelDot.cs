using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Moxing.Core.Kernels.Integer;

/// <summary>The panel dot products with AVX-VNNI: one <c>vpdpbusd</c> per vector takes unsigned and biased codes alike.</summary>
internal readonly unsafe struct VnniPanelDot : IPanelDot
{
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported && AvxVnni.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Block(Vector256<byte> w0, Vector256<byte> w1, Vector256<byte> w2, Vector256<byte> w3,
        Vector256<byte> w4, Vector256<byte> w5, Vector256<byte> w6, Vector256<byte> w7, byte* x, bool biased)
    {
        // two chains of four: the sum does not wait on eight dependent instructions
        var even = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, w0, PanelCodes.Four(x));
        var odd = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, w1, PanelCodes.Four(x + 4));
        even = AvxVnni.MultiplyWideningAndAdd(even, w2, PanelCodes.Four(x + 8));
        odd = AvxVnni.MultiplyWideningAndAdd(odd, w3, PanelCodes.Four(x + 12));
        even = AvxVnni.MultiplyWideningAndAdd(even, w4, PanelCodes.Four(x + 16));
        odd = AvxVnni.MultiplyWideningAndAdd(odd, w5, PanelCodes.Four(x + 20));
        even = AvxVnni.MultiplyWideningAndAdd(even, w6, PanelCodes.Four(x + 24));
        odd = AvxVnni.MultiplyWideningAndAdd(odd, w7, PanelCodes.Four(x + 28));
        return Avx2.Add(even, odd);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Group(Vector256<byte> c0, Vector256<byte> c1, Vector256<byte> c2, Vector256<byte> c3,
        Vector256<int> scale, byte* q, short codeSum, Vector256<int> acc, bool biased)
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
