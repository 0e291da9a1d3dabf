using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Moxing.Core.Kernels.Half;

/// <summary><see cref="IHalfWiden{TF, TI}"/> on sixteen halves with AVX-512 (F and BW).</summary>
internal readonly unsafe struct Avx512HalfWiden : IHalfWiden<Vector512<float>, Vector512<int>>
{
    public static Vector512<int> NoMagnitudes => Vector512<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Widen<W>(byte* p, ref Vector512<int> magnitudes) where W : struct, IWideFormat
    {
        var wide = Avx512F.ConvertToVector512Int32(Avx.LoadVector256((short*)p));
        if (W.Checked) magnitudes = Avx512F.Max(magnitudes, wide & Vector512.Create(HalfBits.Magnitude));
        return W.Place(wide);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Finite(Vector512<int> magnitudes) => Vector512.LessThanAll(magnitudes, Vector512.Create(HalfBits.InfinityBits));
}
