using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Moxing.Core.Kernels.Integer;

/// <summary>
/// The panel dot products without VNNI: <c>pmaddubsw</c> (unsigned × signed bytes into 16-bit pairs) then <c>pmaddwd</c>.
/// Unsigned codes are below 64, so at least two byte-pair products add in 16 bits without saturating (2 · 2 · 63 · 128 &lt; 2¹⁵),
/// four below 32 and eight below 16 (<see cref="Panel.ProductsPerSum"/>): one <c>pmaddwd</c> widens them all. Signed codes
/// take the abs/sign trick (a small block's magnitudes computed once for its tokens); a K group's biased codes take it on
/// the codes without their bias and get 128 · Σx back from the group sum.
/// </summary>
internal readonly unsafe struct Avx2PanelDot : IPanelDot
{
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Block<T>(byte* w, byte* x, nint xStride, bool signed, int largestCode,
        out Vector256<int> s0, out Vector256<int> s1, out Vector256<int> s2, out Vector256<int> s3) where T : struct, ICount
    {
        // one path per method: the JIT's inlining budget then goes to the path a format takes
        if (signed) Signs<T>(w, x, xStride, out s0, out s1, out s2, out s3);
        else if (Panel.ProductsPerSum(largestCode) >= 4) Quads<T>(w, x, xStride, Panel.ProductsPerSum(largestCode) == 8, out s0, out s1, out s2, out s3);
        else Pairs<T>(w, x, xStride, out s0, out s1, out s2, out s3);
    }

    // Signed codes: each vector's magnitudes (shared by the tokens) times the activation codes carrying the codes' signs.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Signs<T>(byte* w, byte* x, nint xStride,
        out Vector256<int> s0, out Vector256<int> s1, out Vector256<int> s2, out Vector256<int> s3) where T : struct, ICount
    {
        s0 = s1 = s2 = s3 = Vector256<int>.Zero;
        byte* x1 = x + xStride, x2 = x + 2 * xStride, x3 = x + 3 * xStride;
        for (var g = 0; g < 8; g++)
        {
            var codes = Avx.LoadVector256(w + 32 * g).AsSByte();
            var magnitudes = Avx2.Abs(codes);
            s0 = Signed(magnitudes, codes, x + 4 * g, s0);
            if (T.Count == 1) continue;
            s1 = Signed(magnitudes, codes, x1 + 4 * g, s1);
            s2 = Signed(magnitudes, codes, x2 + 4 * g, s2);
            s3 = Signed(magnitudes, codes, x3 + 4 * g, s3);
        }
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

    // The two 16-bit sums of each lane added into its 32 bits.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Widen(Vector256<short> sums) => Avx2.MultiplyAddAdjacent(sums, Vector256<short>.One);

    // acc + the lane's dot product of one vector of biased codes with four activation codes, on the codes without their bias.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Signed(Vector256<byte> w, byte* x, Vector256<int> acc)
    {
        var codes = Avx2.Xor(w, Vector256.Create((byte)0x80)).AsSByte();
        return Signed(Avx2.Abs(codes), codes, x, acc);
    }

    // acc + the lane's dot product of signed codes (given with their magnitudes) and four activation codes: pmaddubsw takes
    // the magnitudes as its unsigned factor and the codes' signs on the activation codes; a pair of products (up to
    // 2 · 128 · 127) fills 16 bits, so each vector's sums widen on their own.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Signed(Vector256<byte> magnitudes, Vector256<sbyte> codes, byte* x, Vector256<int> acc) =>
        Avx2.Add(acc, Widen(Avx2.MultiplyAddAdjacent(magnitudes, Avx2.Sign(PanelCodes.Four(x), codes))));
}
