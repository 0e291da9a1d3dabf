using Moxing.Core.Formats.Gguf;
using Moxing.Core.Quantization;
using Moxing.Core.Tensors;
using Moxing.Tests;

namespace Moxing.Core.Tests.Quantization;

public class QuantizerTests
{
    /// <summary>The llama-quantize outputs of llama-k256.F32.gguf kept as fixtures, by file type.</summary>
    public static TheoryData<string> LlamaQuantizeFixtures => new() { "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "IQ4_NL", "IQ4_XS" };

    /// <summary>convert_hf_to_gguf.py (gguf-py, bit-exact with ggml's reference quantizers) wrote these files from the same
    /// float32 weights as the F32 file: re-encoding the F32 tensors must reproduce their bytes exactly.</summary>
    [Theory]
    [InlineData("llama-k256", "Q8_0")]
    [InlineData("llama-k256", "F16")]
    [InlineData("llama-k256", "BF16")]
    [InlineData("gpt2-tiny", "Q8_0")]
    [InlineData("gpt2-tiny", "F16")]
    public void ReencodingF32WeightsReproducesConvertedFiles(string model, string type)
    {
        using var f32 = GgufFile.Open(Fixtures.Path("gguf", $"{model}.F32.gguf"));
        using var converted = GgufFile.Open(Fixtures.Path("gguf", $"{model}.{type}.gguf"));
        var target = Enum.Parse<DType>(type);
        var compared = 0;
        foreach (var tensor in converted.Tensors)
        {
            if (tensor.Type != target) continue;
            var source = f32.Find(tensor.Name)!;
            Assert.Equal(DType.F32, source.Type);
            var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(source.Bytes);
            var bytes = new byte[tensor.ByteLength];
            Quantizer.Quantize(target, floats, bytes);
            var expected = tensor.Bytes;
            for (var i = 0; i < bytes.Length; i++)
                if (bytes[i] != expected[i])
                    Assert.Fail($"{model}.{type} {tensor.Name}: byte {i} is 0x{bytes[i]:X2}, file has 0x{expected[i]:X2}");
            compared++;
        }
        Assert.True(compared >= 4, $"only {compared} {type} tensors in {model}.{type}.gguf");
    }

    [Fact]
    public void Q8_0EncodesScaleAndRoundsHalfAwayFromZero()
    {
        var x = new float[32];
        for (var i = 0; i < 32; i++) x[i] = i - 16; // amax 16
        x[1] = 127f / 16 * 0.5f * 16 / 127; // exactly 0.5 / id: a tie, rounds away from zero
        var block = new byte[34];
        Quantizer.Quantize(DType.Q8_0, x, block);
        var d = 16f / 127;
        Assert.Equal((Half)d, BitConverter.ToHalf(block));
        for (var i = 0; i < 32; i++)
            Assert.Equal((sbyte)MathF.Round(x[i] * (1 / d), MidpointRounding.AwayFromZero), (sbyte)block[2 + i]);
        Assert.Equal(-127, (sbyte)block[2]);
        Assert.Equal(0, (sbyte)block[2 + 16]);
    }

    [Fact]
    public void Q8_0RoundTripIsWithinHalfAStepPlusScaleRounding()
    {
        var rng = new Random(5);
        var x = RandomWeights.Floats(32 * 50, rng);
        for (var i = 0; i < 32; i++) x[i] = 0; // an all-zero block: d = 0, codes 0
        var bytes = new byte[DType.Q8_0.ByteCount(x.Length)];
        Quantizer.Quantize(DType.Q8_0, x, bytes);
        var back = new float[x.Length];
        Dequantizer.Dequantize(DType.Q8_0, bytes, back);
        for (var b = 0; b < 50; b++)
        {
            var d = (float)BitConverter.ToHalf(bytes.AsSpan(34 * b));
            var exact = x.AsSpan(32 * b, 32).ToArray().Max(MathF.Abs) / 127;
            // codes come from the exact scale, values from its fp16 rounding: up to 127 steps of that difference
            var bound = d * 0.5f + 127 * MathF.Abs(d - exact) + 1e-6f * d;
            for (var j = 0; j < 32; j++)
                Assert.True(MathF.Abs(back[32 * b + j] - x[32 * b + j]) <= bound,
                    $"element {32 * b + j}: {x[32 * b + j]} came back as {back[32 * b + j]} (d = {d})");
        }
    }

    [Theory]
    [InlineData(0x3F800000u, (ushort)0x3F80)] // 1.0
    [InlineData(0x3F808000u, (ushort)0x3F80)] // tie, lower is even: down
    [InlineData(0x3F818000u, (ushort)0x3F82)] // tie, lower is odd: up
    [InlineData(0x3F808001u, (ushort)0x3F81)] // above the tie: up
    [InlineData(0x7F800000u, (ushort)0x7F80)] // infinity
    [InlineData(0x7F7FFFFFu, (ushort)0x7F80)] // float max rounds to infinity, as ggml
    [InlineData(0x7F800001u, (ushort)0x7FC0)] // signalling NaN becomes quiet, payload kept
    [InlineData(0xFFC12345u, (ushort)0xFFC1)] // quiet NaN is truncated, not rounded
    [InlineData(0x00000001u, (ushort)0x0000)] // smallest subnormal rounds to zero
    public void BF16RoundsLikeGgml(uint floatBits, ushort expected)
    {
        var bytes = new byte[2];
        Quantizer.Quantize(DType.BF16, [BitConverter.UInt32BitsToSingle(floatBits)], bytes);
        Assert.Equal(expected, BitConverter.ToUInt16(bytes));
    }

    [Fact]
    public void F16AndBF16RoundTripRepresentableValues()
    {
        float[] values = [0f, -0f, 1f, -2.5f, 65504f, 6.1035156e-05f, 5.9604645e-08f];
        foreach (var type in new[] { DType.F16, DType.BF16, DType.F32 })
        {
            var representable = values.Where(v => type != DType.BF16 || (BitConverter.SingleToUInt32Bits(v) & 0xFFFF) == 0).ToArray();
            var bytes = new byte[type.ByteCount(representable.Length)];
            Quantizer.Quantize(type, representable, bytes);
            var back = new float[representable.Length];
            Dequantizer.Dequantize(type, bytes, back);
            Assert.Equal(representable.Select(BitConverter.SingleToInt32Bits), back.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void UnsupportedTargetsAndSizesAreRejected()
    {
        Assert.False(Quantizer.CanQuantize(DType.IQ2_XXS));
        var e = Assert.Throws<MoxingException>(() => Quantizer.Quantize(DType.IQ2_XXS, new float[256], new byte[66]));
        Assert.Contains("IQ2_XXS", e.Message);
        Assert.Throws<ArgumentException>(() => Quantizer.Quantize(DType.Q8_0, new float[32], new byte[33]));
        Assert.Throws<ArgumentException>(() => Quantizer.Quantize(DType.Q8_0, new float[31], new byte[34]));
        Assert.Throws<ArgumentException>(() => Quantizer.QuantizeRows(DType.Q4_K, new float[512], new byte[288], 128, default, null));
        Assert.Throws<ArgumentException>(() => Quantizer.QuantizeRows(DType.Q4_0, new float[64], new byte[36], 64, new float[32], null));
    }

    /// <summary>llama-quantize wrote these files from the F32 file without an importance matrix: every tensor it stored in a
    /// block type must come out of our encoder with the same bytes (the file's per-tensor type, whatever the mix chose).</summary>
    [Theory]
    [MemberData(nameof(QuantizerTests.LlamaQuantizeFixtures), MemberType = typeof(QuantizerTests))]
    public void EncodingF32WeightsReproducesLlamaQuantize(string fileType)
    {
        using var f32 = GgufFile.Open(Fixtures.Path("gguf", "llama-k256.F32.gguf"));
        using var quantized = GgufFile.Open(Fixtures.Path("gguf", $"llama-k256.{fileType}.gguf"));
        using var pool = new Moxing.Core.Kernels.WorkerPool(2);
        var compared = 0;
        foreach (var tensor in quantized.Tensors)
        {
            if (tensor.Type.IsPlain()) continue;
            var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(f32.Find(tensor.Name)!.Bytes);
            var bytes = new byte[tensor.ByteLength];
            Quantizer.QuantizeRows(tensor.Type, floats, bytes, (int)tensor.Shape[^1], default, pool);
            var index = bytes.AsSpan().CommonPrefixLength(tensor.Bytes);
            if (index < bytes.Length)
                Assert.Fail($"{fileType} {tensor.Name} ({tensor.Type}): byte {index} of {bytes.Length} is 0x{bytes[index]:X2}, llama-quantize wrote 0x{tensor.Bytes[index]:X2}");
            compared++;
        }
        Assert.True(compared >= 10, $"only {compared} quantized tensors in {fileType}");
    }
    [Fact]
    public void Mxfp4TakesTheExponentOfTheLargestMagnitudeAndTheNearestE2M1Value()
    {
        // max |x| = 6 → e = ⌊log2 6⌋ − 2 + 127 = 127, one step 0.5: every E2M1 value comes back exactly, 0.25 (a tie between
        // 0 and 0.5) takes the first code, 5 (a tie between 4 and 6) code 5 (level 6 is index 5, 4 is index 4 — the first)
        float[] e2m1 = [0, 0.5f, 1, 1.5f, 2, 3, 4, 6, -0, -0.5f, -1, -1.5f, -2, -3, -4, -6];
        var x = new float[32];
        e2m1.CopyTo(x, 0);
        x[16] = 0.25f;
        x[17] = 5;
        x[18] = -100e-3f;
        var block = new byte[17];
        Quantizer.Quantize(DType.MXFP4, x, block);
        Assert.Equal(127, block[0]);
        var back = new float[32];
        Dequantizer.Dequantize(DType.MXFP4, block, back);
        Assert.Equal(e2m1, back[..16]);
        Assert.Equal([0f, 4f, 0f], back[16..19]);
        Assert.Equal(0x0, block[1] >> 4);
        Assert.Equal(6, block[2] >> 4);
        Assert.Equal(0, block[3] >> 4);
    }

    [Fact]
    public void Mxfp4OfZerosIsExponentZero()
    {
        var block = new byte[17];
        block.AsSpan().Fill(0xFF);
        Quantizer.Quantize(DType.MXFP4, new float[32], block);
        Assert.All(block, b => Assert.Equal(0, b));
    }
}
