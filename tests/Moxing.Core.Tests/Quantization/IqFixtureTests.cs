using System.Runtime.InteropServices;
using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Blocks;
using Moxing.Core.Tensors;
using Moxing.Tests;

namespace Moxing.Core.Tests.Quantization;

/// <summary>
/// The grid i-quants (IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S) and the ternary TQ1_0/TQ2_0 decode bit for bit as
/// ggml's to_float (tests/fixtures/ggml-iquants: ggml's own quantized rows and random blocks); their float dot products equal
/// the decoded weights' products, and their matrix products do within the rounding of 8-bit activations.
/// </summary>
public class IqFixtureTests
{
    public static TheoryData<DType, string> Files()
    {
        var data = new TheoryData<DType, string>();
        foreach (var type in Types)
        {
            data.Add(type, "");
            data.Add(type, ".random");
        }
        return data;
    }

    private static readonly DType[] Types =
        [DType.IQ1_S, DType.IQ1_M, DType.IQ2_XXS, DType.IQ2_XS, DType.IQ2_S, DType.IQ3_XXS, DType.IQ3_S, DType.TQ1_0, DType.TQ2_0];

    [Theory]
    [MemberData(nameof(Files))]
    public void DecodesAsGgml(DType type, string set)
    {
        var (bytes, want) = Load(type, set);
        Assert.Contains(want, v => v != 0);
        foreach (var path in SimdPaths.Supported)
        {
            var actual = new float[want.Length];
            Dequantizer.Dequantize(type, bytes, actual, path);
            DequantizerTests.AssertBits(want, actual, $"{type}{set} on {path}");
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void ProductsEqualTheDecodedWeights(DType type, string set)
    {
        var (bytes, weights) = Load(type, set);
        const int columns = 512;
        var rows = weights.Length / columns;
        var rng = new Random(7);
        const int n = 3;
        var x = new float[n * columns];
        for (var i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        unsafe
        {
            fixed (byte* data = bytes)
            {
                var w = new StoredTensor("w", type, [rows, columns], data, bytes.Length);
                foreach (var path in SimdPaths.Supported)
                {
                    var y = new float[n * rows];
                    MatMul.Rows(w, x, n, y, 0, rows, path);
                    for (var t = 0; t < n; t++)
                        for (var r = 0; r < rows; r++)
                        {
                            double expected = 0, magnitude = 0;
                            for (var c = 0; c < columns; c++)
                            {
                                expected += (double)weights[r * columns + c] * x[t * columns + c];
                                magnitude += Math.Abs((double)weights[r * columns + c] * x[t * columns + c]);
                            }
                            // products go through 8-bit activations (as ggml's vec_dot with q8_K): within their rounding
                            Assert.True(Math.Abs(y[t * rows + r] - expected) <= 4e-3 * magnitude,
                                $"{type}{set} on {path}: row {r} of vector {t} is {y[t * rows + r]}, expected {expected}");
                            if (t == 0)
                            {
                                var dot = RowDot.Dot(type, bytes.AsSpan(r * (int)w.RowBytes, (int)w.RowBytes), x.AsSpan(0, columns), path);
                                Assert.True(Math.Abs(dot - expected) <= 1e-5 * magnitude + 1e-6, $"{type}{set} on {path}: dot of row {r}");
                            }
                        }
                }
            }
        }
    }

    // The quantized bytes and ggml's decoding of them, as rows of 512 weights.
    private static (byte[] Bytes, float[] Weights) Load(DType type, string set)
    {
        var bytes = File.ReadAllBytes(Fixtures.Path("ggml-iquants", $"{type}{set}.q"));
        var weights = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Fixtures.Path("ggml-iquants", $"{type}{set}.f32"))).ToArray();
        Assert.Equal(type.ByteCount(weights.Length), bytes.Length);
        return (bytes, weights);
    }

    [Theory]
    [InlineData(0x0100010001000100UL, 1)] // IQ3_S: one high bit per index
    [InlineData(0x0300030003000300UL, 2)] // IQ2_S
    [InlineData(0x0700070007000700UL, 3)] // IQ1_S
    [InlineData(0x0F000F000F000F00UL, 4)] // IQ1_M
    public void TableIndicesTakeEachLowByteAndItsHighBitsWithAndWithoutBmi2(ulong highMask, int width)
    {
        var rng = new Random(width);
        for (var n = 0; n < 200; n++)
        {
            var lows = (uint)rng.NextInt64(0, 1L << 32);
            var highs = (uint)rng.Next(1 << 16);
            var bmi = IqGrids.Indices(lows, highs, highMask);
            var portable = IqGrids.PortableIndices(lows, highs, highMask);
            for (var i = 0; i < 4; i++)
            {
                var expected = ((lows >> (8 * i)) & 0xFF) | (((highs >> (width * i)) & ((1u << width) - 1)) << 8);
                Assert.Equal(expected, (uint)((bmi >> (16 * i)) & 0xFFFF));
                Assert.Equal(expected, (uint)((portable >> (16 * i)) & 0xFFFF));
            }
        }
    }
}
