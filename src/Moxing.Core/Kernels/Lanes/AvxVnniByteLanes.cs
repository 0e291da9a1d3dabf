using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Moxing.Core.Kernels.Lanes;

/// <summary>
/// <see cref="Avx2ByteLanes"/> with AVX-VNNI: <c>vpdpbusd</c> for the plain dot products (one instruction for
/// pmaddubsw + pmaddwd + add) and <c>vpdpwssd</c> for the scaled ones (pmaddwd + add). .NET exposes no 512-bit VNNI, so this is what the AVX-512 path runs.
/// </summary>
internal readonly unsafe struct AvxVnniByteLanes : IByteLanes<Vector256<byte>, Vector256<int>, Vector256<float>>
{
    public static bool IsSupported => Avx2ByteLanes.IsSupported && AvxVnni.IsSupported;
    public static Vector256<int> Zero => Vector256<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<byte> Load(byte* p) => Avx2ByteLanes.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<byte> Words(ulong* a, ulong* b, ulong* c, ulong* d) => Avx2ByteLanes.Words(a, b, c, d);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<byte> Negated(Vector256<byte> v, Vector256<byte> negative) => Avx2ByteLanes.Negated(v, negative);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> HalfWords(uint* a, uint* b, uint* c, uint* d, uint* e, uint* f, uint* g, uint* h) => Avx2ByteLanes.HalfWords(a, b, c, d, e, f, g, h);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<byte> Nibbles(byte* p) => Avx2ByteLanes.Nibbles(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<byte> And(Vector256<byte> v, byte mask) => Avx2ByteLanes.And(v, mask);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<byte> Or(Vector256<byte> a, Vector256<byte> b) => Avx2ByteLanes.Or(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<byte> ShiftRight(Vector256<byte> v, int n) => Avx2ByteLanes.ShiftRight(v, n);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<byte> ShiftLeft(Vector256<byte> v, int n) => Avx2ByteLanes.ShiftLeft(v, n);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<byte> Bits(uint word, byte value) => Avx2ByteLanes.Bits(word, value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<byte> Lookup(Vector256<byte> v, Vector128<sbyte> table) => Avx2ByteLanes.Lookup(v, table);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<byte> LoadShorts(short* p) => Avx2ByteLanes.LoadShorts(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<byte> Widen(Vector128<sbyte> values, short factor) => Avx2ByteLanes.Widen(values, factor);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<byte> ScalePair(Vector256<byte> scales, int chunk) => Avx2ByteLanes.ScalePair(scales, chunk);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<byte> ShortPair(short first, short second) => Avx2ByteLanes.ShortPair(first, second);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Dot(Vector256<byte> u, Vector256<byte> s, Vector256<int> acc) => AvxVnni.MultiplyWideningAndAdd(acc, u, s.AsSByte());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotSigned(Vector256<byte> a, Vector256<byte> b, Vector256<int> acc) =>
        Dot(Avx2.Abs(a.AsSByte()), Avx2.Sign(b.AsSByte(), a.AsSByte()).AsByte(), acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotScaled(Vector256<byte> u, Vector256<byte> s, Vector256<byte> multipliers, Vector256<int> acc) =>
        AvxVnni.MultiplyWideningAndAdd(acc, Avx2.MultiplyAddAdjacent(u, s.AsSByte()), multipliers.AsInt16()); // vpdpwssd: pmaddwd + add in one

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotScaledSigned(Vector256<byte> a, Vector256<byte> s, Vector256<byte> multipliers, Vector256<int> acc) =>
        DotScaled(Avx2.Abs(a.AsSByte()), Avx2.Sign(s.AsSByte(), a.AsSByte()).AsByte(), multipliers, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotShorts(Vector256<byte> a, Vector256<byte> b, Vector256<int> acc) => Avx2ByteLanes.DotShorts(a, b, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> Add(Vector256<int> a, Vector256<int> b) => Avx2.Add(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Sum4(Vector256<int> a, Vector256<int> b, Vector256<int> c, Vector256<int> d) => Avx2ByteLanes.Sum4(a, b, c, d);
}
