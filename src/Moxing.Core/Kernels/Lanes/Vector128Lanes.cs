using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using Moxing.Core.Quantization.Blocks;

namespace Moxing.Core.Kernels.Lanes;

/// <summary>Four lanes through the cross-platform <see cref="Vector128"/> API (AdvSimd on ARM64, SSE on x86).</summary>
internal readonly unsafe struct Vector128Lanes : ILanes<Vector128<float>, Vector128<int>>
{
    public static bool IsSupported => Vector128.IsHardwareAccelerated;
    public static int Count => 4;
    public static Vector128<float> Zero => Vector128<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Broadcast(float value) => Vector128.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(float* p) => Vector128.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector128<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.MultiplyAddEstimate(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector128<float> v) => Vector128.Sum(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Vector128<float> a, Vector128<float> b, Vector128<float> c, Vector128<float> d)
    {
        if (Sse3.IsSupported) return Sse3.HorizontalAdd(Sse3.HorizontalAdd(a, b), Sse3.HorizontalAdd(c, d));
        if (AdvSimd.Arm64.IsSupported) return AdvSimd.Arm64.AddPairwise(AdvSimd.Arm64.AddPairwise(a, b), AdvSimd.Arm64.AddPairwise(c, d));
        return Vector128.Create(Pairs(a), Pairs(b), Pairs(c), Pairs(d));
    }

    // (v0 + v1) + (v2 + v3): the order of the pairwise instructions above.
    private static float Pairs(Vector128<float> v) => (v[0] + v[1]) + (v[2] + v[3]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> ToFloat(Vector128<int> v) => Vector128.ConvertToSingle(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> AsFloat(Vector128<int> v) => v.AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<int> AsInt(Vector128<float> v) => v.AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Bytes(byte* p) =>
        Vector128.WidenLower(Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<uint>(p)).AsByte())).AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> SBytes(byte* p) =>
        Vector128.WidenLower(Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<uint>(p)).AsSByte()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> UShorts(byte* p) =>
        Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(p)).AsUInt16()).AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> BitsOf(uint word) =>
        Vector128.Min(Vector128.Create(word) & Vector128.Create(1u, 2u, 4u, 8u), Vector128<uint>.One).AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Levels(byte* p, int shift, Vector128<sbyte> table)
    {
        var codes = Vector128.ShiftRightLogical(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<uint>(p)), shift).AsByte()
            & Vector128.Create((byte)15);
        var levels = Vector128.ShuffleNative(table, codes.AsSByte());
        return Vector128.WidenLower(Vector128.WidenLower(levels));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<int> And(Vector128<int> v, int mask) => v & Vector128.Create(mask);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<int> Or(Vector128<int> a, Vector128<int> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<int> ShiftLeft(Vector128<int> v, int n) => Vector128.ShiftLeft(v, n);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<int> ShiftRight(Vector128<int> v, int n) => Vector128.ShiftRightLogical(v, n);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<int> Subtract(Vector128<int> v, int n) => v - Vector128.Create(n);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<int> GreaterThan(Vector128<int> v, int n) => Vector128.GreaterThan(v, Vector128.Create(n));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Abs(Vector128<float> v) => Vector128.Abs(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.MaxNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector128<float> v)
    {
        var m = Vector128.MaxNative(v, Vector128.Shuffle(v, Vector128.Create(2, 3, 0, 1)));
        return MathF.Max(m.GetElement(0), m.GetElement(1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<int> RoundToInt(Vector128<float> v) => Vector128.ConvertToInt32(Vector128.Round(v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int SumInt(Vector128<int> v) => Vector128.Sum(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreSBytes(sbyte* p, Vector128<int> v)
    {
        var shorts = Vector128.Narrow(v, v);
        Unsafe.WriteUnaligned(p, Vector128.Narrow(shorts, shorts).AsUInt32().ToScalar());
    }
}
