using Moxing.Core.Kernels;
using Moxing.Core.Tensors;

namespace Moxing.Core.Quantization;

/// <summary>Decodes stored tensors (F32, F16, BF16 and ggml's block formats) to float32, bit for bit as ggml's <c>dequantize_row_*</c>.</summary>
public static unsafe class Dequantizer
{
    /// <summary>Decodes <paramref name="src"/>, exactly <c>type.ByteCount(dst.Length)</c> bytes, into <paramref name="dst"/>.</summary>
    public static void Dequantize(DType type, ReadOnlySpan<byte> src, Span<float> dst) => Dequantize(type, src, dst, SimdPaths.Best);

    /// <summary>As <see cref="Dequantize(DType, ReadOnlySpan{byte}, Span{float})"/> on a chosen instruction set (all give identical results).</summary>
    public static void Dequantize(DType type, ReadOnlySpan<byte> src, Span<float> dst, SimdPath path)
    {
        var kernel = RowKernel.For(type, path);
        var units = kernel.Units(dst.Length, src.Length, type);
        fixed (byte* s = src)
        fixed (float* d = dst)
            kernel.Dequantize(s, d, units);
    }
}
