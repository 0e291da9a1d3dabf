using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Moxing.Core.Kernels.Half;

/// <summary><see cref="IHalfWiden{TF, TH}"/> on 16 halves with AVX2.</summary>
internal readonly unsafe struct Avx2HalfWiden : IHalfWiden<Vector256<float>, Vector256<ushort>>
{
    public static int Halves => 16;
    public static Vector256<ushort> NoMagnitudes => Vector256<ushort>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Widen<W>(byte* p, ref Vector256<ushort> magnitudes, out Vector256<float> low, out Vector256<float> high) where W : struct, IWideFormat
    {
        var halves = Avx.LoadVector256((ushort*)p);
        if (W.Checked) magnitudes = Avx2.Max(magnitudes, halves & Vector256.Create((ushort)HalfBits.Magnitude));
        low = W.Place(Avx2.UnpackLow(Vector256<ushort>.Zero, halves).AsInt32());
        high = W.Place(Avx2.UnpackHigh(Vector256<ushort>.Zero, halves).AsInt32());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Finite(Vector256<ushort> magnitudes) =>
        Vector256.LessThanAll(magnitudes, Vector256.Create((ushort)HalfBits.InfinityBits));
}
