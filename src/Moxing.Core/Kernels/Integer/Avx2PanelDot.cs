using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Moxing.Core.Kernels.Integer;

/// <summary>
/// The panel dot products without VNNI: <c>pmaddubsw</c> (unsigned × signed bytes into 16-bit pairs) then <c>pmaddwd</c>.
/// Unsigned codes are below 64, so at least two byte-pair products add in 16 bits without saturating (2 · 2 · 63 · 128 &lt; 2¹⁵),
/// four below 32 and eight below 16 (<see cref="Panel.ProductsPerSum"/>): one <c>pmaddwd</c> widens them all. Biased signed
/// codes (0..255) would saturate: a small block splits them into two nibble planes, a K group (whose vectors are shared by
/// four tokens' calls) takes the abs/sign trick on the codes without their bias and gets 128 · Σx back from the group sum.
/// </summary>
internal readonly unsafe struct Avx2PanelDot : IPanelDot
{
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Block<T>(byte* w, byte* x, nint xStride, bool biased, int largestCode,
        out Vector256<int> s0, out Vector256<int> s1, out Vector256<int> s2, out Vector256<int> s3) where T : struct, ICount
    {
        // one path per method: the JIT's inlining budget then goes to the path a format takes; nibble planes take any byte
        if (biased || Panel.ProductsPerSum(largestCode) < 2) Planes<T>(w, x, xStride, out s0, out s1, out s2, out s3);
        else if (Panel.ProductsPerSum(largestCode) >= 4) Quads<T>(w, x, xStride, Panel.ProductsPerSum(largestCode) == 8, out s0, out s1, out s2, out s3);
        else Pairs<T>(w, x, xStride, out s0, out s1, out s2, out s3);
    }

    // Codes u = 16 · h + l (biased signed codes, or any byte): each nibble plane takes eight pmaddubsw results in 16 bits
    // (8 · 2 · 15 · 128 < 2¹⁵), and Σ u·x = 16 · Σ h·x + Σ l·x is the sum itself: no sign trick and no bias to add back.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Planes<T>(byte* w, byte* x, nint xStride,
        out Vector256<int> s0, out Vector256<int> s1, out Vector256<int> s2, out Vector256<int> s3) where T : struct, ICount
    {
        s1 = s2 = s3 = Vector256<int>.Zero;
        byte* x1 = x + xStride, x2 = x + 2 * xStride, x3 = x + 3 * xStride;
        Vector256<short> h0 = default, h1 = default, h2 = default, h3 = default, l0 = default, l1 = default, l2 = default, l3 = default;
        for (var p = 0; p < 2; p++)
        {
            var ha = Nibbles(Avx.LoadVector256(w + 128 * p), out var la);
            var hb = Nibbles(Avx.LoadVector256(w + 128 * p + 32), out var lb);
            var hc = Nibbles(Avx.LoadVector256(w + 128 * p + 64), out var lc);
            var hd = Nibbles(Avx.LoadVector256(w + 128 * p + 96), out var ld);
            var at = 16 * p;
            h0 = Avx2.Add(h0, Products(ha, hb, hc, hd, x + at));
            l0 = Avx2.Add(l0, Products(la, lb, lc, ld, x + at));
            if (T.Count == 1) continue;
            h1 = Avx2.Add(h1, Products(ha, hb, hc, hd, x1 + at));
            l1 = Avx2.Add(l1, Products(la, lb, lc, ld, x1 + at));
            h2 = Avx2.Add(h2, Products(ha, hb, hc, hd, x2 + at));
            l2 = Avx2.Add(l2, Products(la, lb, lc, ld, x2 + at));
            h3 = Avx2.Add(h3, Products(ha, hb, hc, hd, x3 + at));
            l3 = Avx2.Add(l3, Products(la, lb, lc, ld, x3 + at));
        }
        s0 = Planes(h0, l0);
        if (T.Count == 1) return;
        s1 = Planes(h1, l1);
        s2 = Planes(h2, l2);
        s3 = Planes(h3, l3);
    }

    // Codes below 32: four pmaddubsw results per 16-bit sum, and below 16 (eight) all of a block's before one pmaddwd.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Quads<T>(byte* w, byte* x, nint xStride, bool eight,
        out Vector256<int> s0, out Vector256<int> s1, out Vector256<int> s2, out Vector256<int> s3) where T : struct, ICount
    {
        s1 = s2 = s3 = Vector256<int>.Zero;
        Vector256<byte> a = Avx.LoadVector256(w), b = Avx.LoadVector256(w + 32), c = Avx.LoadVector256(w + 64), d = Avx.LoadVector256(w + 96);
        Vector256<byte> e = Avx.LoadVector256(w + 128), f = Avx.LoadVector256(w + 160), g = Avx.LoadVector256(w + 192), h = Avx.LoadVector256(w + 224);
        s0 = Quads(Products(a, b, c, d, x), Products(e, f, g, h, x + 16), eight);
        if (T.Count == 1) return;
        s1 = Quads(Products(a, b, c, d, x + xStride), Products(e, f, g, h, x + xStride + 16), eight);
        s2 = Quads(Products(a, b, c, d, x + 2 * xStride), Products(e, f, g, h, x + 2 * xStride + 16), eight);
        s3 = Quads(Products(a, b, c, d, x + 3 * xStride), Products(e, f, g, h, x + 3 * xStride + 16), eight);
    }

    // The 32-bit lane sums of two halves' 16-bit sums, added in 16 bits first when `eight`.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Quads(Vector256<short> first, Vector256<short> second, bool eight) =>
        eight ? Widen(Avx2.Add(first, second)) : Avx2.Add(Widen(first), Widen(second));

    // Codes below 64: two pmaddubsw results per 16-bit sum.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pairs<T>(byte* w, byte* x, nint xStride,
        out Vector256<int> s0, out Vector256<int> s1, out Vector256<int> s2, out Vector256<int> s3) where T : struct, ICount
    {
        s0 = s1 = s2 = s3 = Vector256<int>.Zero;
        byte* x1 = x + xStride, x2 = x + 2 * xStride, x3 = x + 3 * xStride;
        for (var p = 0; p < 4; p++)
        {
            var a = Avx.LoadVector256(w + 64 * p);
            var b = Avx.LoadVector256(w + 64 * p + 32);
            s0 = Avx2.Add(s0, Widen(Products(a, b, x + 8 * p)));
            if (T.Count == 1) continue;
            s1 = Avx2.Add(s1, Widen(Products(a, b, x1 + 8 * p)));
            s2 = Avx2.Add(s2, Widen(Products(a, b, x2 + 8 * p)));
            s3 = Avx2.Add(s3, Widen(Products(a, b, x3 + 8 * p)));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Group(Vector256<byte> c0, Vector256<byte> c1, Vector256<byte> c2, Vector256<byte> c3,
        Vector256<int> scale, byte* q, short codeSum, Vector256<int> acc, bool biased, int largestCode)
    {
        if (biased)
        {
            var sum = Avx2.Add(Signed(c0, q, Signed(c2, q + 8, Vector256<int>.Zero)), Signed(c1, q + 4, Signed(c3, q + 12, Vector256<int>.Zero)));
            return Avx2.Add(acc, Avx2.MultiplyLow(Avx2.Add(sum, Vector256.Create(128 * codeSum)), scale));
        }
        // the lane's scale in both of its 16-bit halves: pmaddwd then widens and scales in one step
        var scales = Avx2.Or(Avx2.ShiftLeftLogical(scale, 16), Avx2.And(scale, Vector256.Create(0xFFFF))).AsInt16();
        if (Panel.ProductsPerSum(largestCode) >= 4)
            return Avx2.Add(acc, Avx2.MultiplyAddAdjacent(Products(c0, c1, c2, c3, q), scales));
        acc = Avx2.Add(acc, Avx2.MultiplyAddAdjacent(Products(c0, c1, q), scales));
        return Avx2.Add(acc, Avx2.MultiplyAddAdjacent(Products(c2, c3, q + 8), scales));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Shorts(Vector256<int> acc, Vector256<short> a, Vector256<short> b) => Avx2.Add(acc, Avx2.MultiplyAddAdjacent(a, b));

    // Two vectors of unsigned codes times their broadcast activation codes, summed in 16-bit pairs.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Products(Vector256<byte> a, Vector256<byte> b, byte* x) =>
        Avx2.Add(Avx2.MultiplyAddAdjacent(a, PanelCodes.Four(x)), Avx2.MultiplyAddAdjacent(b, PanelCodes.Four(x + 4)));

    // Four vectors of unsigned codes (below 32) times their broadcast activation codes, summed in 16-bit pairs.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Products(Vector256<byte> a, Vector256<byte> b, Vector256<byte> c, Vector256<byte> d, byte* x) =>
        Avx2.Add(Products(a, b, x), Products(c, d, x + 8));

    // The high and low nibbles of each byte.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Nibbles(Vector256<byte> codes, out Vector256<byte> low)
    {
        var mask = Vector256.Create((byte)15);
        low = Avx2.And(codes, mask);
        return Avx2.And(Avx2.ShiftRightLogical(codes.AsUInt16(), 4).AsByte(), mask);
    }

    // 16 · (the high plane's 16-bit sums) + (the low plane's), each lane's pair added into its 32 bits.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Planes(Vector256<short> high, Vector256<short> low) =>
        Avx2.Add(Avx2.MultiplyAddAdjacent(high, Vector256.Create((short)16)), Widen(low));

    // The two 16-bit sums of each lane added into its 32 bits.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Widen(Vector256<short> sums) => Avx2.MultiplyAddAdjacent(sums, Vector256<short>.One);

    // acc + the lane's dot product of one vector of biased codes with four activation codes, on the codes without their bias
    // (pmaddubsw takes their magnitudes as its unsigned factor, and their signs on the activation codes).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Signed(Vector256<byte> w, byte* x, Vector256<int> acc)
    {
        var codes = Avx2.Xor(w, Vector256.Create((byte)0x80)).AsSByte();
        return Avx2.Add(acc, Widen(Avx2.MultiplyAddAdjacent(Avx2.Abs(codes), Avx2.Sign(PanelCodes.Four(x), codes))));
    }
}
