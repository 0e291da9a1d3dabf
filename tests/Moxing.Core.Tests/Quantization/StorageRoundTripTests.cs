using Moxing.Core.Quantization;
using Moxing.Core.Tensors;

namespace Moxing.Core.Tests.Quantization;

public class StorageRoundTripTests
{
    [Theory]
    [InlineData(DType.F16, 9, 18, 1e-3)]
    [InlineData(DType.Q8_0, 9, 34, 2e-2)]
    [InlineData(DType.Q8_0, 100, 4 * 34, 2e-2)]
    [InlineData(DType.Q4_0, 100, 4 * 18, 0.2)]
    [InlineData(DType.Q6_K, 300, 2 * 210, 5e-2)]
    [InlineData(DType.Q4_K, 300, 2 * 144, 0.2)]
    public void Values_come_back_as_stored_in_whole_zero_padded_blocks(DType type, int count, long bytes, double tolerance)
    {
        var rng = new Random(count);
        var values = Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var stored = (float[])values.Clone();
        Assert.Equal(bytes, StorageRoundTrip.Apply(type, stored));
        Assert.All(values.Zip(stored), p => Assert.True(Math.Abs(p.First - p.Second) <= tolerance, $"{p.First} → {p.Second}"));
        Assert.NotEqual(values, stored);

        // What is read back is exactly what a dequantizer reads from the encoded block(s).
        var block = type.BlockSize();
        var padded = new float[(count + block - 1) / block * block];
        values.CopyTo(padded, 0);
        var encoded = new byte[type.ByteCount(padded.Length)];
        Quantizer.Quantize(type, padded, encoded);
        var decoded = new float[padded.Length];
        Dequantizer.Dequantize(type, encoded, decoded);
        Assert.Equal(decoded[..count], stored);
    }

    [Fact]
    public void F32_is_left_as_it_is()
    {
        float[] values = [0.1f, -2.5f, 3e-8f];
        Assert.Equal(12, StorageRoundTrip.Apply(DType.F32, values));
        Assert.Equal([0.1f, -2.5f, 3e-8f], values);
    }
}
