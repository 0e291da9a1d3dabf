using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Moxing.Core.Kernels.Lanes;

/// <summary>
/// 256-bit AVX2: ggml's <c>pmaddubsw</c> (unsigned × signed bytes into 16-bit pairs) then <c>pmaddwd</c> (16-bit pairs,
/// times 1 or a scale, into 32-bit sums); signed codes go through the abs/sign trick.
/// </summary>
internal readonly unsafe struct Avx2ByteLanes : IByteLanes<Vector256<byte>, Vector256<int>, Vector256<float>>
{
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;
    public static Vector256<int> Zero => Vector256<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<byte> Load(byte* p) => Avx.LoadVector256(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Words(ulong* a, ulong* b, ulong* c, ulong* d)
    {
        // vmovq + vmovhpd from memory: the words never pass through general registers
        var lo = Sse2.LoadHigh(Sse2.LoadScalarVector128((double*)a), (double*)b);
        var hi = Sse2.LoadHigh(Sse2.LoadScalarVector128((double*)c), (double*)d);
        return Vector256.Create(lo, hi).AsByte();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> HalfWords(uint* a, uint* b, uint* c, uint* d, uint* e, uint* f, uint* g, uint* h)
    {
        var lo = Sse41.Insert(Sse41.Insert(Sse41.Insert(Sse2.LoadScalarVector128(a), *b, 1), *c, 2), *d, 3);
        var hi = Sse41.Insert(Sse41.Insert(Sse41.Insert(Sse2.LoadScalarVector128(e), *f, 1), *g, 2), *h, 3);
        return Vector256.Create(lo, hi).AsByte();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Nibbles(byte* p)
    {
        var v = Vector128.Load(p);
        return Vector256.Create(v, Sse2.ShiftRightLogical(v.AsUInt16(), 4).AsByte()) & Vector256.Create((byte)15);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<byte> And(Vector256<byte> v, byte mask) => Avx2.And(v, Vector256.Create(mask));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<byte> Or(Vector256<byte> a, Vector256<byte> b) => Avx2.Or(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> ShiftRight(Vector256<byte> v, int n) =>
        Vector256.ShiftRightLogical(v.AsUInt16(), n).AsByte() & Vector256.Create((byte)(0xFF >> n));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> ShiftLeft(Vector256<byte> v, int n) =>
        Vector256.ShiftLeft(v.AsUInt16(), n).AsByte() & Vector256.Create((byte)(0xFF << n));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Bits(uint word, byte value)
    {
        // ggml's bytes_from_bits_32: byte i holds word byte i / 8; or-ing every bit but i's and comparing with all-ones tests it
        var spread = Avx2.Shuffle(Vector256.Create(word).AsByte(),
            Vector256.Create(0x0000000000000000UL, 0x0101010101010101UL, 0x0202020202020202UL, 0x0303030303030303UL).AsByte());
        var probe = Avx2.Or(spread, Vector256.Create(0x7FBFDFEFF7FBFDFEUL).AsByte());
        return Avx2.CompareEqual(probe, Vector256<byte>.AllBitsSet) & Vector256.Create(value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Lookup(Vector256<byte> v, Vector128<sbyte> table) => Avx2.Shuffle(Vector256.Create(table, table).AsByte(), v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<byte> LoadShorts(short* p) => Avx.LoadVector256((byte*)p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Widen(Vector128<sbyte> values, short factor)
    {
        var shorts = Avx2.ConvertToVector256Int16(values);
        return (factor == 1 ? shorts : Avx2.MultiplyLow(shorts, Vector256.Create(factor))).AsByte();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> ScalePair(Vector256<byte> scales, int chunk)
    {
        // short `chunk` of each 128-bit lane, broadcast within it: one in-lane shuffle (a constant mask once the chunk loop is unrolled)
        var pick = (ushort)(0x0100 + 0x0202 * chunk);
        return Avx2.Shuffle(scales, Vector256.Create(pick).AsByte());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> ShortPair(short first, short second) => Vector256.Create(Vector128.Create(first), Vector128.Create(second)).AsByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Dot(Vector256<byte> u, Vector256<byte> s, Vector256<int> acc) =>
        Avx2.Add(acc, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, s.AsSByte()), Vector256<short>.One));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotSigned(Vector256<byte> a, Vector256<byte> b, Vector256<int> acc) =>
        Dot(Avx2.Abs(a.AsSByte()), Avx2.Sign(b.AsSByte(), a.AsSByte()).AsByte(), acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotScaled(Vector256<byte> u, Vector256<byte> s, Vector256<byte> multipliers, Vector256<int> acc) =>
        Avx2.Add(acc, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, s.AsSByte()), multipliers.AsInt16()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotScaledSigned(Vector256<byte> a, Vector256<byte> s, Vector256<byte> multipliers, Vector256<int> acc) =>
        DotScaled(Avx2.Abs(a.AsSByte()), Avx2.Sign(s.AsSByte(), a.AsSByte()).AsByte(), multipliers, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Negated(Vector256<byte> v, Vector256<byte> negative) => Avx2.Subtract(Avx2.Xor(v, negative), negative);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotShorts(Vector256<byte> a, Vector256<byte> b, Vector256<int> acc) =>
        Avx2.Add(acc, Avx2.MultiplyAddAdjacent(a.AsInt16(), b.AsInt16()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> Add(Vector256<int> a, Vector256<int> b) => Avx2.Add(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Sum4(Vector256<int> a, Vector256<int> b, Vector256<int> c, Vector256<int> d)
    {
        var all = Avx2.HorizontalAdd(Avx2.HorizontalAdd(a, b), Avx2.HorizontalAdd(c, d));
        return all.GetLower() + all.GetUpper();
    }
}
