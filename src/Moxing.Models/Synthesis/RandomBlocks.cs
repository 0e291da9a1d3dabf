using System.Buffers.Binary;
using Moxing.Core.Tensors;

namespace Moxing.Models.Synthesis;

/// <summary>Random but valid quantized blocks: random codes with small finite fp16 scales, so weights have a spread near 0.02.</summary>
public static class RandomBlocks
{
    /// <summary>The fp16 scale fields of a block (byte offset, typical value) for each type this writes.</summary>
    private static (int Offset, float Scale)[] ScaleFields(DType type) => type switch
    {
        // Scales are chosen so scale × typical code magnitude ≈ 0.02.
        DType.Q8_0 => [(0, 2.7e-4f)],
        DType.Q4_0 => [(0, 4.3e-3f)],
        DType.Q5_0 => [(0, 2.2e-3f)],
        // Q4_K: d and dmin (dmin ≈ d × mean code centres the weights).
        DType.Q4_K => [(0, 1.4e-4f), (2, 1.0e-3f)],
        // Q6_K: d at the end, after 16 signed 8-bit scales.
        DType.Q6_K => [(208, 1.5e-5f)],
        _ => throw new ArgumentException($"random blocks of {type} are not supported", nameof(type)),
    };

    /// <summary>True when <see cref="Fill"/> can synthesize <paramref name="type"/>.</summary>
    public static bool Supports(DType type) => type is DType.Q8_0 or DType.Q4_0 or DType.Q5_0 or DType.Q4_K or DType.Q6_K or DType.MXFP4;

    // MXFP4's E8M0 exponent byte: 2^(e − 128) times levels of magnitude ~5 gives weights near 0.02 at e = 120.
    private const int Mxfp4Exponent = 120;

    /// <summary>Fills <paramref name="blocks"/> (a whole number of <paramref name="type"/> blocks) with random valid blocks.</summary>
    public static void Fill(DType type, Span<byte> blocks, Random random)
    {
        var size = type.BlockBytes();
        if (blocks.Length % size != 0) throw new ArgumentException($"{blocks.Length} bytes is not a whole number of {type} blocks", nameof(blocks));
        random.NextBytes(blocks);
        if (type == DType.MXFP4)
        {
            for (var at = 0; at < blocks.Length; at += size) blocks[at] = (byte)(Mxfp4Exponent - 1 + random.Next(2));
            return;
        }
        var fields = ScaleFields(type);
        for (var at = 0; at < blocks.Length; at += size)
            foreach (var (offset, scale) in fields)
                BinaryPrimitives.WriteHalfLittleEndian(blocks.Slice(at + offset, 2), (Half)(scale * (0.5f + random.NextSingle())));
    }
}
