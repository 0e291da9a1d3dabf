using Moxing.Core.Tensors;

namespace Moxing.Core.Tests.Quantization;

/// <summary>Random stored rows: arbitrary code bytes with finite fp16 scale fields (zero and subnormal scales included).</summary>
internal static class RandomWeights
{
    public static readonly DType[] Types =
    [
        DType.F32, DType.F16, DType.BF16, DType.Q4_0, DType.Q4_1, DType.Q5_0, DType.Q5_1, DType.Q8_0,
        DType.Q2_K, DType.Q3_K, DType.Q4_K, DType.Q5_K, DType.Q6_K, DType.IQ4_NL, DType.IQ4_XS, DType.MXFP4,
    ];

    public static TheoryData<DType> TypeData() => new(Types);

    /// <summary>The lattice and ternary types, checked against ggml's own output (tests/fixtures/ggml-iquants) rather than
    /// <see cref="GgmlReference"/>.</summary>
    public static readonly DType[] GridTypes =
        [DType.IQ1_S, DType.IQ1_M, DType.IQ2_XXS, DType.IQ2_XS, DType.IQ2_S, DType.IQ3_XXS, DType.IQ3_S, DType.TQ1_0, DType.TQ2_0];

    /// <summary>Byte offsets of each block's fp16 fields.</summary>
    private static int[] HalfFields(DType type) => type switch
    {
        DType.Q4_0 or DType.Q5_0 or DType.Q8_0 or DType.IQ4_NL or DType.IQ4_XS => [0],
        DType.IQ1_S or DType.IQ2_XXS or DType.IQ2_XS or DType.IQ2_S or DType.IQ3_XXS or DType.IQ3_S => [0],
        DType.TQ1_0 => [52],
        DType.TQ2_0 => [64],
        DType.Q4_1 or DType.Q5_1 or DType.Q4_K or DType.Q5_K => [0, 2],
        DType.Q2_K => [80, 82],
        DType.Q3_K => [108],
        DType.Q6_K => [208],
        DType.F16 => [0],
        _ => [],
    };

    public static byte[] Bytes(DType type, int elements, Random rng)
    {
        var data = new byte[type.ByteCount(elements)];
        rng.NextBytes(data);
        var blockBytes = type.BlockBytes();
        for (var at = 0; at < data.Length; at += blockBytes)
        {
            foreach (var field in HalfFields(type))
                BitConverter.TryWriteBytes(data.AsSpan(at + field), Scale(rng));
            if (type == DType.MXFP4) data[at] = Exponent(rng);
            if (type == DType.IQ1_M) SetIq1MScale(data.AsSpan(at), Scale(rng));
            var value = (rng.NextSingle() * 2 - 1) * MathF.Pow(2, rng.Next(-20, 20));
            if (type == DType.F32) BitConverter.TryWriteBytes(data.AsSpan(at), value);
            if (type == DType.BF16) BitConverter.TryWriteBytes(data.AsSpan(at), (ushort)(BitConverter.SingleToUInt32Bits(value) >> 16));
        }
        return data;
    }

    /// <summary>Rows whose every byte is <paramref name="fill"/> but the fp16 scale fields, which are 1.</summary>
    public static byte[] Filled(DType type, int elements, byte fill)
    {
        var data = new byte[type.ByteCount(elements)];
        data.AsSpan().Fill(fill);
        var blockBytes = type.BlockBytes();
        for (var at = 0; at < data.Length; at += blockBytes)
        {
            foreach (var field in HalfFields(type))
                BitConverter.TryWriteBytes(data.AsSpan(at + field), (Half)1f);
            if (type == DType.MXFP4) data[at] = 128;
            if (type == DType.IQ1_M) SetIq1MScale(data.AsSpan(at), (Half)1f);
        }
        return data;
    }

    // IQ1_M keeps its fp16 scale in the top nibbles of its four scale words (bytes 48..55).
    private static void SetIq1MScale(Span<byte> block, Half scale)
    {
        var bits = BitConverter.HalfToUInt16Bits(scale);
        for (var k = 0; k < 4; k++)
        {
            var word = BitConverter.ToUInt16(block[(48 + 2 * k)..]);
            BitConverter.TryWriteBytes(block[(48 + 2 * k)..], (ushort)((word & 0x0FFF) | (((bits >> (4 * k)) & 0xF) << 12)));
        }
    }

    public static float[] Floats(int count, Random rng)
    {
        var x = new float[count];
        for (var i = 0; i < count; i++) x[i] = rng.NextSingle() * 2 - 1;
        return x;
    }

    /// <summary>An MXFP4 E8M0 exponent byte: the subnormal scales 0 and 1 sometimes, else weights of magnitude 2^-20 .. 2^4.</summary>
    private static byte Exponent(Random rng) => rng.Next(16) switch
    {
        0 => 0,
        1 => 1,
        _ => (byte)rng.Next(107, 131),
    };

    private static Half Scale(Random rng) => rng.Next(16) switch
    {
        0 => (Half)0f,
        1 => BitConverter.UInt16BitsToHalf((ushort)rng.Next(1, 0x400)), // subnormal
        _ => (Half)((rng.NextSingle() * 2 - 1) * MathF.Pow(2, rng.Next(-12, 4))),
    };
}
