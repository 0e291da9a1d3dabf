using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Kernels;

/// <summary>The instruction sets the kernels are compiled for.</summary>
public enum SimdPath
{
    /// <summary>One element at a time; the reference.</summary>
    Scalar,

    /// <summary>128-bit vectors through the portable Vector128 API (ARM64 AdvSimd, x86 SSE).</summary>
    Vector128,

    /// <summary>256-bit AVX2 with FMA.</summary>
    Avx2,

    /// <summary>512-bit AVX-512 (F, BW).</summary>
    Avx512,
}

/// <summary>Which <see cref="SimdPath"/>s this machine runs, and the fastest of them.</summary>
public static class SimdPaths
{
    /// <summary>True when the hardware runs <paramref name="path"/> natively.</summary>
    public static bool IsSupported(SimdPath path) => path switch
    {
        SimdPath.Scalar => true,
        SimdPath.Vector128 => Vector128Lanes.IsSupported,
        SimdPath.Avx2 => Avx2Lanes.IsSupported,
        SimdPath.Avx512 => Avx512Lanes.IsSupported,
        _ => false,
    };

    /// <summary>The widest supported path; what <see cref="RowDot"/>, <see cref="MatMul"/> and the dequantizer use by default.</summary>
    public static SimdPath Best { get; } =
        IsSupported(SimdPath.Avx512) ? SimdPath.Avx512
        : IsSupported(SimdPath.Avx2) ? SimdPath.Avx2
        : IsSupported(SimdPath.Vector128) ? SimdPath.Vector128
        : SimdPath.Scalar;

    /// <summary>Every supported path, narrowest first.</summary>
    public static IReadOnlyList<SimdPath> Supported { get; } =
        Enum.GetValues<SimdPath>().Where(IsSupported).ToArray();

    /// <summary>The one of four per-path values that belongs to <paramref name="path"/>.</summary>
    internal static T Pick<T>(SimdPath path, T scalar, T vector128, T avx2, T avx512) => path switch
    {
        SimdPath.Avx512 => avx512,
        SimdPath.Avx2 => avx2,
        SimdPath.Vector128 => vector128,
        _ => scalar,
    };
}
