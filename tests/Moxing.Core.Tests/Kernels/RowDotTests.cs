using Moxing.Core.Kernels;
using Moxing.Core.Tensors;
using Moxing.Core.Tests.Quantization;

namespace Moxing.Core.Tests.Kernels;

public class RowDotTests
{
    private static int[] Lengths(DType type) => type.BlockSize() == 1
        ? [1, 3, 7, 15, 16, 17, 31, 33, 63, 64, 65, 127, 1000, 1023, 4097]
        : new[] { 1, 2, 3, 5, 8, 13, 16, 19 }.Select(blocks => blocks * type.BlockSize()).ToArray();

    [Theory]
    [MemberData(nameof(RandomWeights.TypeData), MemberType = typeof(RandomWeights))]
    public void EveryPathMatchesDequantizeThenDot(DType type)
    {
        var rng = new Random(77 + (int)type);
        foreach (var length in Lengths(type))
        {
            for (var trial = 0; trial < 3; trial++)
            {
                var row = RandomWeights.Bytes(type, length, rng);
                var x = RandomWeights.Floats(length, rng);
                var (expected, magnitude) = Reference.Dot(Reference.Weights(type, row, length), x);
                foreach (var path in SimdPaths.Supported)
                    Reference.AssertClose(expected, magnitude, RowDot.Dot(type, row, x, path), $"{type} × {length} on {path}");
            }
        }
    }

    [Fact]
    public void DefaultPathIsTheBestSupported()
    {
        Assert.Contains(SimdPaths.Best, SimdPaths.Supported);
        Assert.Contains(SimdPath.Scalar, SimdPaths.Supported);
        var rng = new Random(3);
        var row = RandomWeights.Bytes(DType.Q4_K, 512, rng);
        var x = RandomWeights.Floats(512, rng);
        Assert.Equal(RowDot.Dot(DType.Q4_K, row, x, SimdPaths.Best), RowDot.Dot(DType.Q4_K, row, x));
    }

    [Fact]
    public void MismatchedLengthsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => RowDot.Dot(DType.Q8_0, new byte[34], new float[31]));
        Assert.Throws<ArgumentException>(() => RowDot.Dot(DType.Q8_0, new byte[68], new float[32]));
        Assert.Throws<ArgumentException>(() => RowDot.Dot(DType.F16, new byte[6], new float[4]));
    }
}
