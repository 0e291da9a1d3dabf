using Moxing.Core.Tensors;

namespace Moxing.Core.Kernels;

/// <summary>Dot product of one stored (possibly quantized) row with float32 activations, decoding inside the product.</summary>
public static unsafe class RowDot
{
    /// <summary>Σ w[i]·x[i] where w is <paramref name="row"/> of <paramref name="type"/>, exactly <c>type.ByteCount(x.Length)</c> bytes.</summary>
    public static float Dot(DType type, ReadOnlySpan<byte> row, ReadOnlySpan<float> x) => Dot(type, row, x, SimdPaths.Best);

    /// <summary>As <see cref="Dot(DType, ReadOnlySpan{byte}, ReadOnlySpan{float})"/> on a chosen instruction set.</summary>
    public static float Dot(DType type, ReadOnlySpan<byte> row, ReadOnlySpan<float> x, SimdPath path)
    {
        var kernel = RowKernel.For(type, path);
        var units = kernel.Units(x.Length, row.Length, type);
        fixed (byte* w = row)
        fixed (float* v = x)
            return kernel.Dot(w, v, units);
    }
}
