using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Moxing.Core.Kernels.Half;

/// <summary><see cref="IHalfWiden{TF, TH}"/> on 32 halves with AVX-512 (F and BW).</summary>
internal readonly unsafe struct Avx512HalfWiden : IHalfWiden<Vector512<float>, Vector512<ushort>>
{
    public static int Halves => 32;
    public static Vector512<ushort> NoMagnitudes => Vector512<ushort>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Widen<W>(byte* p, ref Vector512<ushort> magnitudes, out Vector512<float> low, out Vector512<float> high) where W : struct, IWideFormat
    {
        var halves = Avx512BW.LoadVector512((ushort*)p);
        if (W.Checked) magnitudes = Avx512BW.Max(magnitudes, halves & Vector512.Create((ushort)HalfBits.Magnitude));
        // a zero word below each half puts it in the top of a 32-bit lane: one instruction widens and shifts
        low = W.Place(Avx512BW.UnpackLow(Vector512<ushort>.Zero, halves).AsInt32());
        high = W.Place(Avx512BW.UnpackHigh(Vector512<ushort>.Zero, halves).AsInt32());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Finite(Vector512<ushort> magnitudes) =>
        Vector512.LessThanAll(magnitudes, Vector512.Create((ushort)HalfBits.InfinityBits));
}
