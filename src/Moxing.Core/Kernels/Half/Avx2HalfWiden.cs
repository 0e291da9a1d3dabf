using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Moxing.Core.Kernels.Half;

/// <summary><see cref="IHalfWiden{TF, TI}"/> on eight halves with AVX2.</summary>
internal readonly unsafe struct Avx2HalfWiden : IHalfWiden<Vector256<float>, Vector256<int>>
{
    public static Vector256<int> NoMagnitudes => Vector256<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Widen<W>(byte* p, ref Vector256<int> magnitudes) where W : struct, IWideFormat
    {
        var wide = Avx2.ConvertToVector256Int32((short*)p);
        if (W.Checked) magnitudes = Avx2.Max(magnitudes, wide & Vector256.Create(HalfBits.Magnitude));
        return W.Place(wide);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Finite(Vector256<int> magnitudes) => Vector256.LessThanAll(magnitudes, Vector256.Create(HalfBits.InfinityBits));
}
