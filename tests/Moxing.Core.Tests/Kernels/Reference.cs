using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Tensors;

namespace Moxing.Core.Tests.Kernels;

/// <summary>Scalar dequantization followed by a double-precision dot: what every kernel must match within float32 rounding.</summary>
internal static class Reference
{
    public static float[] Weights(DType type, ReadOnlySpan<byte> row, int elements)
    {
        var w = new float[elements];
        Dequantizer.Dequantize(type, row, w, SimdPath.Scalar);
        return w;
    }

    /// <summary>The exact dot product and Σ|w·x| (the scale of float32 rounding error).</summary>
    public static (double Dot, double Magnitude) Dot(ReadOnlySpan<float> w, ReadOnlySpan<float> x)
    {
        double dot = 0, magnitude = 0;
        for (var i = 0; i < w.Length; i++)
        {
            var p = (double)w[i] * x[i];
            dot += p;
            magnitude += Math.Abs(p);
        }
        return (dot, magnitude);
    }

    public static void AssertClose(double expected, double magnitude, float actual, string what)
    {
        var tolerance = 1e-5 * magnitude + 1e-30;
        Assert.True(Math.Abs(actual - expected) <= tolerance,
            $"{what}: got {actual:R}, expected {expected:R} (|Δ| = {Math.Abs(actual - expected):E2}, allowed {tolerance:E2})");
    }
}
