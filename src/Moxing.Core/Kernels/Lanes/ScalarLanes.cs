using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Moxing.Core.Quantization.Blocks;

namespace Moxing.Core.Kernels.Lanes;

/// <summary>One lane: the portable reference every vector path is checked against.</summary>
internal readonly unsafe struct ScalarLanes : ILanes<float, int>
{
    public static bool IsSupported => true;
    public static int Count => 1;
    public static float Zero => 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Broadcast(float value) => value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Load(float* p) => *p;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, float v) => *p = v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Add(float a, float b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Multiply(float a, float b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MultiplyAdd(float a, float b, float c) => a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(float v) => v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Sum4(float a, float b, float c, float d) => Vector128.Create(a, b, c, d);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float ToFloat(int v) => v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float AsFloat(int v) => BitConverter.Int32BitsToSingle(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int AsInt(float v) => BitConverter.SingleToInt32Bits(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int Bytes(byte* p) => *p;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int SBytes(byte* p) => *(sbyte*)p;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int UShorts(byte* p) => Unsafe.ReadUnaligned<ushort>(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int BitsOf(uint word) => (int)(word & 1);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int Levels(byte* p, int shift, Vector128<sbyte> table) => table.GetElement((*p >> shift) & 15);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int And(int v, int mask) => v & mask;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int Or(int a, int b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int ShiftLeft(int v, int n) => v << n;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int ShiftRight(int v, int n) => (int)((uint)v >> n);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int Subtract(int v, int n) => v - n;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int GreaterThan(int v, int n) => v > n ? -1 : 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Abs(float v) => MathF.Abs(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Max(float a, float b) => a > b ? a : b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(float v) => v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int RoundToInt(float v) => (int)MathF.Round(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int SumInt(int v) => v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreSBytes(sbyte* p, int v) => *p = (sbyte)v;
}
