using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Tensors;

namespace Moxing.Core.Tests.Quantization;

public class DequantizerTests
{
    [Theory]
    [MemberData(nameof(RandomWeights.TypeData), MemberType = typeof(RandomWeights))]
    public void EveryPathMatchesGgmlBitForBit(DType type)
    {
        var rng = new Random(1000 + (int)type);
        var elements = 7 * 256;
        var src = RandomWeights.Bytes(type, elements, rng);
        var expected = GgmlReference.Dequantize(type, src, elements);
        foreach (var path in SimdPaths.Supported)
        {
            var actual = new float[elements];
            Dequantizer.Dequantize(type, src, actual, path);
            AssertBits(expected, actual, $"{type} on {path}");
        }
    }

    [Fact]
    public void F16WidensEveryHalfExactly()
    {
        var src = new byte[65536 * 2];
        for (var i = 0; i < 65536; i++) BitConverter.TryWriteBytes(src.AsSpan(2 * i), (ushort)i);
        foreach (var path in SimdPaths.Supported)
        {
            var actual = new float[65536];
            Dequantizer.Dequantize(DType.F16, src, actual, path);
            for (var i = 0; i < 65536; i++)
            {
                var expected = (float)BitConverter.UInt16BitsToHalf((ushort)i);
                if (float.IsNaN(expected)) Assert.True(float.IsNaN(actual[i]), $"{path}: half 0x{i:X4} should be NaN");
                else Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual[i]),
                    $"{path}: half 0x{i:X4} gave {actual[i]}, expected {expected}");
            }
        }
    }

    [Fact]
    public void HandBuiltQ4_0BlockDecodesToKnownValues()
    {
        // d = 0.5; byte j holds code j (low nibble, weight j) and 15 - j (high nibble, weight j + 16).
        var block = new byte[18];
        BitConverter.TryWriteBytes(block, (Half)0.5f);
        for (var j = 0; j < 16; j++) block[2 + j] = (byte)(j | ((15 - j) << 4));
        var y = new float[32];
        Dequantizer.Dequantize(DType.Q4_0, block, y);
        for (var j = 0; j < 16; j++)
        {
            Assert.Equal((j - 8) * 0.5f, y[j]);
            Assert.Equal((7 - j) * 0.5f, y[j + 16]);
        }
    }

    [Fact]
    public void HandBuiltQ4KBlockAppliesSubBlockScalesAndMins()
    {
        // d = 1, dmin = 0.25; sub-block s has scale s + 1 and min 2s (the high sub-blocks use the packed upper bits).
        var block = new byte[144];
        BitConverter.TryWriteBytes(block, (Half)1f);
        BitConverter.TryWriteBytes(block.AsSpan(2), (Half)0.25f);
        var scales = block.AsSpan(4, 12);
        for (var s = 0; s < 8; s++)
        {
            int sc = s + 1, mn = 2 * s;
            if (s < 4) { scales[s] = (byte)sc; scales[s + 4] = (byte)mn; }
            else
            {
                scales[s + 4] = (byte)((sc & 15) | ((mn & 15) << 4));
                scales[s - 4] |= (byte)((sc >> 4) << 6);
                scales[s] |= (byte)((mn >> 4) << 6);
            }
        }
        for (var l = 0; l < 128; l++) block[16 + l] = (byte)((l % 16) | ((15 - l % 16) << 4));
        var y = new float[256];
        Dequantizer.Dequantize(DType.Q4_K, block, y);
        for (var i = 0; i < 256; i++)
        {
            int sub = i / 32, l = i % 32, chunk = i / 64;
            var b = block[16 + 32 * chunk + l];
            var q = sub % 2 == 0 ? b & 15 : b >> 4;
            Assert.Equal((sub + 1) * q - 0.25f * (2 * sub), y[i]);
        }
    }

    [Fact]
    public void HandBuiltQ6KBlockUsesSignedScalesAndSixBitCodes()
    {
        var block = new byte[210];
        BitConverter.TryWriteBytes(block.AsSpan(208), (Half)0.125f);
        for (var g = 0; g < 16; g++) block[192 + g] = unchecked((byte)(sbyte)(g % 2 == 0 ? g + 1 : -g));
        // every weight gets code 63 (ql nibble 15, high bits 3): w = d * sc * 31
        block.AsSpan(0, 192).Fill(0xFF);
        var y = new float[256];
        Dequantizer.Dequantize(DType.Q6_K, block, y);
        for (var i = 0; i < 256; i++)
        {
            var g = i / 16;
            var sc = g % 2 == 0 ? g + 1 : -g;
            Assert.Equal(0.125f * sc * 31, y[i]);
        }
    }

    [Fact]
    public void BF16IsTheUpperHalfOfFloat32()
    {
        ushort[] bits = [0x0000, 0x8000, 0x3F80, 0xBF80, 0x7F80, 0xFF80, 0x0001, 0x4049, 0x7F7F];
        var src = new byte[bits.Length * 2];
        for (var i = 0; i < bits.Length; i++) BitConverter.TryWriteBytes(src.AsSpan(2 * i), bits[i]);
        foreach (var path in SimdPaths.Supported)
        {
            var y = new float[bits.Length];
            Dequantizer.Dequantize(DType.BF16, src, y, path);
            for (var i = 0; i < bits.Length; i++)
                Assert.Equal(bits[i] << 16, BitConverter.SingleToInt32Bits(y[i]));
        }
    }

    [Theory]
    [InlineData(DType.Q4_K, 256, 143)]
    [InlineData(DType.Q4_K, 256, 145)]
    [InlineData(DType.Q8_0, 33, 34)]
    [InlineData(DType.F16, 3, 8)]
    public void WrongSizesAreRejected(DType type, int elements, int bytes)
    {
        Assert.Throws<ArgumentException>(() => Dequantizer.Dequantize(type, new byte[bytes], new float[elements]));
    }

    [Fact]
    public void TypesWithoutDecoderAreRejected()
    {
        var e = Assert.Throws<MoxingException>(() => Dequantizer.Dequantize(DType.Q8_K, new byte[292], new float[256]));
        Assert.Contains("Q8_K", e.Message);
    }

    internal static void AssertBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} is {actual[i]:R} (0x{BitConverter.SingleToInt32Bits(actual[i]):X8}), expected {expected[i]:R} (0x{BitConverter.SingleToInt32Bits(expected[i]):X8})");
    }
}
