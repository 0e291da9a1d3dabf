using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace Moxing.Core.Kernels.Lanes;

/// <summary>32 bytes as two 128-bit halves.</summary>
internal readonly struct BytePair(Vector128<byte> lo, Vector128<byte> hi)
{
    /// <summary>Bytes 0..15.</summary>
    public readonly Vector128<byte> Lo = lo;

    /// <summary>Bytes 16..31.</summary>
    public readonly Vector128<byte> Hi = hi;
}

/// <summary>
/// Two 128-bit halves through the portable <see cref="Vector128"/> API, widening to 16-bit products; on ARM64 with the
/// dot-product extension (<see cref="Dp"/>) each half is one <c>sdot</c>.
/// </summary>
internal readonly unsafe struct Vector128ByteLanes : IByteLanes<BytePair, Vector128<int>, Vector128<float>>
{
    public static bool IsSupported => Vector128.IsHardwareAccelerated;
    public static Vector128<int> Zero => Vector128<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static BytePair Load(byte* p) => new(Vector128.Load(p), Vector128.Load(p + 16));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static BytePair Words(ulong* a, ulong* b, ulong* c, ulong* d) => new(Vector128.Create(*a, *b).AsByte(), Vector128.Create(*c, *d).AsByte());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static BytePair HalfWords(uint* a, uint* b, uint* c, uint* d, uint* e, uint* f, uint* g, uint* h) =>
        new(Vector128.Create(*a, *b, *c, *d).AsByte(), Vector128.Create(*e, *f, *g, *h).AsByte());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static BytePair Nibbles(byte* p)
    {
        var v = Vector128.Load(p);
        var mask = Vector128.Create((byte)15);
        return new(v & mask, Vector128.ShiftRightLogical(v, 4) & mask);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static BytePair And(BytePair v, byte mask) => new(v.Lo & Vector128.Create(mask), v.Hi & Vector128.Create(mask));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static BytePair Or(BytePair a, BytePair b) => new(a.Lo | b.Lo, a.Hi | b.Hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static BytePair ShiftRight(BytePair v, int n) => new(Vector128.ShiftRightLogical(v.Lo, n), Vector128.ShiftRightLogical(v.Hi, n));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static BytePair ShiftLeft(BytePair v, int n) => new(Vector128.ShiftLeft(v.Lo, n), Vector128.ShiftLeft(v.Hi, n));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static BytePair Bits(uint word, byte value)
    {
        var bytes = Vector128.Create(word).AsByte();
        var bit = Vector128.Create((byte)1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);
        var lo = Vector128.Shuffle(bytes, Vector128.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
        var hi = Vector128.Shuffle(bytes, Vector128.Create((byte)2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
        var v = Vector128.Create(value);
        return new(Vector128.Equals(lo & bit, bit) & v, Vector128.Equals(hi & bit, bit) & v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static BytePair Lookup(BytePair v, Vector128<sbyte> table) =>
        new(Vector128.ShuffleNative(table, v.Lo.AsSByte()).AsByte(), Vector128.ShuffleNative(table, v.Hi.AsSByte()).AsByte());

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static BytePair LoadShorts(short* p) => Load((byte*)p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static BytePair Widen(Vector128<sbyte> values, short factor) => factor == 1
        ? new(Vector128.WidenLower(values).AsByte(), Vector128.WidenUpper(values).AsByte())
        : new((Vector128.WidenLower(values) * factor).AsByte(), (Vector128.WidenUpper(values) * factor).AsByte());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static BytePair ScalePair(BytePair scales, int chunk) =>
        new(Vector128.Create(scales.Lo.AsInt16().GetElement(chunk)).AsByte(), Vector128.Create(scales.Hi.AsInt16().GetElement(chunk)).AsByte());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static BytePair ShortPair(short first, short second) => new(Vector128.Create(first).AsByte(), Vector128.Create(second).AsByte());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Dot(BytePair u, BytePair s, Vector128<int> acc) =>
        acc + Products(u.Lo.AsSByte(), s.Lo.AsSByte()) + Products(u.Hi.AsSByte(), s.Hi.AsSByte());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> DotSigned(BytePair a, BytePair b, Vector128<int> acc) =>
        acc + Products(a.Lo.AsSByte(), b.Lo.AsSByte()) + Products(a.Hi.AsSByte(), b.Hi.AsSByte());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> DotScaled(BytePair u, BytePair s, BytePair multipliers, Vector128<int> acc) =>
        acc + Products(u.Lo.AsSByte(), s.Lo.AsSByte()) * Multiplier(multipliers.Lo)
            + Products(u.Hi.AsSByte(), s.Hi.AsSByte()) * Multiplier(multipliers.Hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> DotScaledSigned(BytePair a, BytePair s, BytePair multipliers, Vector128<int> acc) =>
        acc + Products(a.Lo.AsSByte(), s.Lo.AsSByte()) * Multiplier(multipliers.Lo)
            + Products(a.Hi.AsSByte(), s.Hi.AsSByte()) * Multiplier(multipliers.Hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static BytePair Negated(BytePair v, BytePair negative) => new((v.Lo ^ negative.Lo) - negative.Lo, (v.Hi ^ negative.Hi) - negative.Hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> DotShorts(BytePair a, BytePair b, Vector128<int> acc) =>
        acc + ShortProducts(a.Lo.AsInt16(), b.Lo.AsInt16()) + ShortProducts(a.Hi.AsInt16(), b.Hi.AsInt16());

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<int> Add(Vector128<int> a, Vector128<int> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Sum4(Vector128<int> a, Vector128<int> b, Vector128<int> c, Vector128<int> d) =>
        Vector128.Create(Vector128.Sum(a), Vector128.Sum(b), Vector128.Sum(c), Vector128.Sum(d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Multiplier(Vector128<byte> m) => Vector128.WidenLower(m.AsInt16());

    /// <summary>Four partial sums of the 16 products a[i]·b[i]; a's bytes are signed, or unsigned below 128 (the same bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Products(Vector128<sbyte> a, Vector128<sbyte> b)
    {
        if (Dp.IsSupported) return Dp.DotProduct(Vector128<int>.Zero, a, b);
        var lo = Vector128.WidenLower(a) * Vector128.WidenLower(b);
        var hi = Vector128.WidenUpper(a) * Vector128.WidenUpper(b);
        return Vector128.WidenLower(lo) + Vector128.WidenUpper(lo) + Vector128.WidenLower(hi) + Vector128.WidenUpper(hi);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> ShortProducts(Vector128<short> a, Vector128<short> b) =>
        Vector128.WidenLower(a) * Vector128.WidenLower(b) + Vector128.WidenUpper(a) * Vector128.WidenUpper(b);
}
