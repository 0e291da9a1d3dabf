using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Moxing.Core.Quantization.Blocks;

namespace Moxing.Core.Kernels.Lanes;

/// <summary>Eight lanes with AVX2 and FMA: widening byte loads straight from memory, fused multiply-add.</summary>
internal readonly unsafe struct Avx2Lanes : ILanes<Vector256<float>, Vector256<int>>
{
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;
    public static int Count => 8;
    public static Vector256<float> Zero => Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Broadcast(float value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* p) => Avx.LoadVector256(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector256<float> v) => Avx.Store(p, v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => Avx.Add(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => Avx.Multiply(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Fma.MultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector256<float> v) => Vector128.Sum(v.GetLower() + v.GetUpper());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d)
    {
        var all = Avx.HorizontalAdd(Avx.HorizontalAdd(a, b), Avx.HorizontalAdd(c, d));
        return all.GetLower() + all.GetUpper();
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> ToFloat(Vector256<int> v) => Avx.ConvertToVector256Single(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> AsFloat(Vector256<int> v) => v.AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> AsInt(Vector256<float> v) => v.AsInt32();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> Bytes(byte* p) => Avx2.ConvertToVector256Int32(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> SBytes(byte* p) => Avx2.ConvertToVector256Int32((sbyte*)p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> UShorts(byte* p) => Avx2.ConvertToVector256Int32((ushort*)p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> BitsOf(uint word) =>
        Avx2.ShiftRightLogicalVariable(Vector256.Create(word), Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7)).AsInt32() & Vector256<int>.One;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Levels(byte* p, int shift, Vector128<sbyte> table)
    {
        var codes = Vector128.ShiftRightLogical(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(p)), shift).AsByte()
            & Vector128.Create((byte)15);
        return Avx2.ConvertToVector256Int32(Ssse3.Shuffle(table, codes.AsSByte()));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> And(Vector256<int> v, int mask) => Avx2.And(v, Vector256.Create(mask));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> Or(Vector256<int> a, Vector256<int> b) => Avx2.Or(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> ShiftLeft(Vector256<int> v, int n) => Vector256.ShiftLeft(v, n);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> ShiftRight(Vector256<int> v, int n) => Vector256.ShiftRightLogical(v, n);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> Subtract(Vector256<int> v, int n) => Avx2.Subtract(v, Vector256.Create(n));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> GreaterThan(Vector256<int> v, int n) => Avx2.CompareGreaterThan(v, Vector256.Create(n));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Abs(Vector256<float> v) => Vector256.Abs(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Avx.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(Vector256<float> v) => Vector128Lanes.MaxAcross(Sse.Max(v.GetLower(), v.GetUpper()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> RoundToInt(Vector256<float> v) => Avx.ConvertToVector256Int32(Avx.RoundToNearestInteger(v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int SumInt(Vector256<int> v) => Vector128.Sum(v.GetLower() + v.GetUpper());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreSBytes(sbyte* p, Vector256<int> v)
    {
        var shorts = Sse2.PackSignedSaturate(v.GetLower(), v.GetUpper());
        Unsafe.WriteUnaligned(p, Sse2.PackSignedSaturate(shorts, shorts).AsUInt64().ToScalar());
    }
}
