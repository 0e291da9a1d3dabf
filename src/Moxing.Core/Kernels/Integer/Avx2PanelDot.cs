using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Moxing.Core.Kernels.Integer;

/// <summary>
/// The panel dot products without VNNI: <c>pmaddubsw</c> (unsigned × signed bytes into 16-bit pairs) then <c>pmaddwd</c>.
/// Unsigned codes are below 64, so at least two byte-pair products add in 16 bits without saturating (2 · 2 · 63 · 128 &lt; 2¹⁵),
/// four below 32 and eight below 16 (<see cref="Panel.ProductsPerSum"/>): one <c>pmaddwd</c> widens them all. Biased signed
/// codes would saturate, so they go through the abs/sign trick and get their 128 · Σx back as an integer.
/// </summary>
internal readonly unsafe struct Avx2PanelDot : IPanelDot
{
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Block<T>(byte* w, byte* x, nint xStride, bool biased, int largestCode,
        out Vector256<int> s0, out Vector256<int> s1, out Vector256<int> s2, out Vector256<int> s3) where T : struct, ITokenCount
    {
        s0 = s1 = s2 = s3 = Vector256<int>.Zero;
        byte* x1 = x + xStride, x2 = x + 2 * xStride, x3 = x + 3 * xStride;
        if (biased)
        {
            // each vector's codes without their bias, and their magnitudes, once for all tokens
            for (var g = 0; g < 8; g++)
            {
                var codes = Unbiased(Avx.LoadVector256(w + 32 * g), out var magnitudes);
                s0 = Signed(codes, magnitudes, x + 4 * g, s0);
                if (T.Count == 1) continue;
                s1 = Signed(codes, magnitudes, x1 + 4 * g, s1);
                s2 = Signed(codes, magnitudes, x2 + 4 * g, s2);
                s3 = Signed(codes, magnitudes, x3 + 4 * g, s3);
            }
            s0 = Avx2.Add(s0, BiasSum(x));
            if (T.Count == 1) return;
            s1 = Avx2.Add(s1, BiasSum(x1));
            s2 = Avx2.Add(s2, BiasSum(x2));
            s3 = Avx2.Add(s3, BiasSum(x3));
            return;
        }
        var products = Panel.ProductsPerSum(largestCode);
        if (products == 8)
        {
            Vector256<byte> a = Avx.LoadVector256(w), b = Avx.LoadVector256(w + 32), c = Avx.LoadVector256(w + 64), d = Avx.LoadVector256(w + 96);
            Vector256<byte> e = Avx.LoadVector256(w + 128), f = Avx.LoadVector256(w + 160), g = Avx.LoadVector256(w + 192), h = Avx.LoadVector256(w + 224);
            s0 = Widen(Avx2.Add(Products(a, b, c, d, x), Products(e, f, g, h, x + 16)));
            if (T.Count == 1) return;
            s1 = Widen(Avx2.Add(Products(a, b, c, d, x1), Products(e, f, g, h, x1 + 16)));
            s2 = Widen(Avx2.Add(Products(a, b, c, d, x2), Products(e, f, g, h, x2 + 16)));
            s3 = Widen(Avx2.Add(Products(a, b, c, d, x3), Products(e, f, g, h, x3 + 16)));
            return;
        }
        if (products == 4)
        {
            for (var p = 0; p < 2; p++)
            {
                Vector256<byte> a = Avx.LoadVector256(w + 128 * p), b = Avx.LoadVector256(w + 128 * p + 32);
                Vector256<byte> c = Avx.LoadVector256(w + 128 * p + 64), d = Avx.LoadVector256(w + 128 * p + 96);
                s0 = Avx2.Add(s0, Widen(Products(a, b, c, d, x + 16 * p)));
                if (T.Count == 1) continue;
                s1 = Avx2.Add(s1, Widen(Products(a, b, c, d, x1 + 16 * p)));
                s2 = Avx2.Add(s2, Widen(Products(a, b, c, d, x2 + 16 * p)));
                s3 = Avx2.Add(s3, Widen(Products(a, b, c, d, x3 + 16 * p)));
            }
            return;
        }
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
    private static Vector256<int> Signed(Vector256<byte> w, byte* x, Vector256<int> acc) => Signed(Unbiased(w, out var magnitudes), magnitudes, x, acc);

    // Biased codes less their bias, and the magnitudes pmaddubsw takes as its unsigned factor.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Unbiased(Vector256<byte> w, out Vector256<byte> magnitudes)
    {
        var codes = Avx2.Xor(w, Vector256.Create((byte)0x80)).AsSByte();
        magnitudes = Avx2.Abs(codes);
        return codes;
    }

    // acc + the lane's dot product of one vector of signed codes (and their magnitudes) with four activation codes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Signed(Vector256<sbyte> codes, Vector256<byte> magnitudes, byte* x, Vector256<int> acc) =>
        Avx2.Add(acc, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(magnitudes, Avx2.Sign(PanelCodes.Four(x), codes)), Vector256<short>.One));

    // 128 · (the sum of 32 signed activation codes) in every lane, without leaving the vector registers: byte sums of
    // (code + 128) against zero, added across the four quadwords, less 32 · 128.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> BiasSum(byte* x)
    {
        var sums = Avx2.SumAbsoluteDifferences(Avx2.Xor(Avx.LoadVector256(x), Vector256.Create((byte)0x80)), Vector256<byte>.Zero).AsInt32();
        sums = Avx2.Add(sums, Avx2.Shuffle(sums, 0x4E));
        sums = Avx2.Add(sums, Avx2.Permute4x64(sums.AsInt64(), 0x4E).AsInt32());
        return Avx2.ShiftLeftLogical(Avx2.Subtract(Avx2.Shuffle(sums, 0), Vector256.Create(32 * 128)), 7);
    }
}
