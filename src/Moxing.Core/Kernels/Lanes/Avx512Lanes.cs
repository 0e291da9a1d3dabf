using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Moxing.Core.Quantization.Blocks;

namespace Moxing.Core.Kernels.Lanes;

/// <summary>Sixteen lanes with AVX-512 (F and BW): half the instructions of AVX2 per weight decoded.</summary>
internal readonly unsafe struct Avx512Lanes : ILanes<Vector512<float>, Vector512<int>>
{
    public static bool IsSupported => Avx512F.IsSupported && Avx512BW.IsSupported && Vector512.IsHardwareAccelerated;
    public static int Count => 16;
    public static Vector512<float> Zero => Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Broadcast(float value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* p) => Avx512F.LoadVector512(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector512<float> v) => Avx512F.Store(p, v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => Avx512F.Add(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => Avx512F.Multiply(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Avx512F.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> v)
    {
        var half = v.GetLower() + v.GetUpper();
        return Vector128.Sum(half.GetLower() + half.GetUpper());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d) =>
        Avx2Lanes.Sum4(a.GetLower() + a.GetUpper(), b.GetLower() + b.GetUpper(), c.GetLower() + c.GetUpper(), d.GetLower() + d.GetUpper());

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> ToFloat(Vector512<int> v) => Avx512F.ConvertToVector512Single(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> AsFloat(Vector512<int> v) => v.AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> AsInt(Vector512<float> v) => v.AsInt32();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> Bytes(byte* p) => Avx512F.ConvertToVector512Int32(Vector128.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> SBytes(byte* p) => Avx512F.ConvertToVector512Int32(Vector128.Load((sbyte*)p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> UShorts(byte* p) => Avx512F.ConvertToVector512Int32(Vector256.Load((ushort*)p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> BitsOf(uint word) =>
        Avx512F.ShiftRightLogicalVariable(Vector512.Create(word), Vector512.CreateSequence(0u, 1u)).AsInt32() & Vector512<int>.One;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Levels(byte* p, int shift, Vector128<sbyte> table)
    {
        var codes = Vector128.ShiftRightLogical(Vector128.Load((ushort*)p), shift).AsByte() & Vector128.Create((byte)15);
        return Avx512F.ConvertToVector512Int32(Ssse3.Shuffle(table, codes.AsSByte()));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> And(Vector512<int> v, int mask) => Avx512F.And(v, Vector512.Create(mask));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> Or(Vector512<int> a, Vector512<int> b) => Avx512F.Or(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> ShiftLeft(Vector512<int> v, int n) => Vector512.ShiftLeft(v, n);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> ShiftRight(Vector512<int> v, int n) => Vector512.ShiftRightLogical(v, n);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> Subtract(Vector512<int> v, int n) => Avx512F.Subtract(v, Vector512.Create(n));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> GreaterThan(Vector512<int> v, int n) => Vector512.GreaterThan(v, Vector512.Create(n));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Abs(Vector512<float> v) => Vector512.Abs(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Avx512F.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(Vector512<float> v) => Avx2Lanes.MaxAcross(Avx.Max(v.GetLower(), v.GetUpper()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> RoundToInt(Vector512<float> v) => Avx512F.ConvertToVector512Int32(Avx512F.RoundScale(v, 0));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int SumInt(Vector512<int> v) => Avx2Lanes.SumInt(v.GetLower() + v.GetUpper());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreSBytes(sbyte* p, Vector512<int> v) => Avx512F.ConvertToVector128SByte(v).Store(p);
}
