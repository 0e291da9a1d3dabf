using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Moxing.Core.Kernels.Integer;

/// <summary>
/// The panel dot products without VNNI: <c>pmaddubsw</c> (unsigned × signed bytes into 16-bit pairs) then <c>pmaddwd</c>.
/// Unsigned codes are below 64, so two byte-pair products add in 16 bits without saturating (2 · 2 · 63 · 127 &lt; 2¹⁵);
/// biased signed codes would saturate, so they go through the abs/sign trick and get their 128 · Σx back as an integer.
/// </summary>
internal readonly unsafe struct Avx2PanelDot : IPanelDot
{
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Block(Vector256<byte> w0, Vector256<byte> w1, Vector256<byte> w2, Vector256<byte> w3,
        Vector256<byte> w4, Vector256<byte> w5, Vector256<byte> w6, Vector256<byte> w7, byte* x, bool biased)
    {
        if (biased)
        {
            var even = Signed(w0, x, Signed(w2, x + 8, Signed(w4, x + 16, Signed(w6, x + 24, Vector256<int>.Zero))));
            var odd = Signed(w1, x + 4, Signed(w3, x + 12, Signed(w5, x + 20, Signed(w7, x + 28, Vector256<int>.Zero))));
            return Avx2.Add(Avx2.Add(even, odd), Vector256.Create(128 * CodeSum(x)));
        }
        var a = Avx2.Add(Pair(w0, w1, x), Pair(w2, w3, x + 8));
        var b = Avx2.Add(Pair(w4, w5, x + 16), Pair(w6, w7, x + 24));
        return Avx2.Add(a, b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Group(Vector256<byte> c0, Vector256<byte> c1, Vector256<byte> c2, Vector256<byte> c3,
        Vector256<int> scale, byte* q, short codeSum, Vector256<int> acc, bool biased)
    {
        if (biased)
        {
            var sum = Avx2.Add(Signed(c0, q, Signed(c2, q + 8, Vector256<int>.Zero)), Signed(c1, q + 4, Signed(c3, q + 12, Vector256<int>.Zero)));
            return Avx2.Add(acc, Avx2.MultiplyLow(Avx2.Add(sum, Vector256.Create(128 * codeSum)), scale));
        }
        // the lane's scale in both of its 16-bit halves: pmaddwd then widens and scales in one step
        var scales = Avx2.Or(Avx2.ShiftLeftLogical(scale, 16), Avx2.And(scale, Vector256.Create(0xFFFF))).AsInt16();
        acc = Avx2.Add(acc, Avx2.MultiplyAddAdjacent(Products(c0, c1, q), scales));
        return Avx2.Add(acc, Avx2.MultiplyAddAdjacent(Products(c2, c3, q + 8), scales));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Shorts(Vector256<int> acc, Vector256<short> a, Vector256<short> b) => Avx2.Add(acc, Avx2.MultiplyAddAdjacent(a, b));

    // Two vectors of unsigned codes times their broadcast activation codes, summed in 16-bit pairs.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Products(Vector256<byte> a, Vector256<byte> b, byte* x) =>
        Avx2.Add(Avx2.MultiplyAddAdjacent(a, PanelCodes.Four(x)), Avx2.MultiplyAddAdjacent(b, PanelCodes.Four(x + 4)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Pair(Vector256<byte> a, Vector256<byte> b, byte* x) =>
        Avx2.MultiplyAddAdjacent(Products(a, b, x), Vector256<short>.One);

    // acc + the lane's dot product of one vector of biased codes with four activation codes, on the codes without their bias.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Signed(Vector256<byte> w, byte* x, Vector256<int> acc)
    {
        var codes = Avx2.Xor(w, Vector256.Create((byte)0x80)).AsSByte();
        var products = Avx2.MultiplyAddAdjacent(Avx2.Abs(codes), Avx2.Sign(PanelCodes.Four(x), codes));
        return Avx2.Add(acc, Avx2.MultiplyAddAdjacent(products, Vector256<short>.One));
    }

    // The sum of 32 signed activation codes: byte sums of (code + 128) against zero, less 32 · 128.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CodeSum(byte* x)
    {
        var sums = Avx2.SumAbsoluteDifferences(Avx2.Xor(Avx.LoadVector256(x), Vector256.Create((byte)0x80)), Vector256<byte>.Zero);
        return (int)Vector256.Sum(sums.AsUInt64()) - 32 * 128;
    }
}
