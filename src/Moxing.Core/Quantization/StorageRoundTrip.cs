using Moxing.Core.Tensors;

namespace Moxing.Core.Quantization;

/// <summary>What values read back as after being stored in a type: quantized as llama-quantize does, then dequantized.</summary>
public static class StorageRoundTrip
{
    /// <summary>
    /// Replaces <paramref name="values"/> (in storage order, zero-padded to whole blocks) by what storing them as
    /// <paramref name="type"/> and reading them back gives; returns the bytes they take in that type.
    /// </summary>
    public static long Apply(DType type, Span<float> values)
    {
        if (type == DType.F32) return (long)values.Length * sizeof(float);
        var block = type.BlockSize();
        var padded = new float[(values.Length + block - 1) / block * block];
        values.CopyTo(padded);
        var bytes = new byte[type.ByteCount(padded.Length)];
        Quantizer.Quantize(type, padded, bytes);
        Dequantizer.Dequantize(type, bytes, padded);
        padded.AsSpan(0, values.Length).CopyTo(values);
        return bytes.Length;
    }
}
