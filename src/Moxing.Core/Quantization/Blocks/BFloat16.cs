namespace Moxing.Core.Quantization.Blocks;

/// <summary>float32 → bfloat16 as ggml's <c>ggml_compute_fp32_to_bf16</c>: round to nearest even, NaN kept and made quiet.</summary>
internal static class BFloat16
{
    /// <summary>The bfloat16 bits of <paramref name="value"/>.</summary>
    public static ushort FromFloat(float value)
    {
        var u = BitConverter.SingleToUInt32Bits(value);
        if ((u & 0x7FFFFFFF) > 0x7F800000) return (ushort)((u >> 16) | 64);
        return (ushort)((u + (0x7FFF + ((u >> 16) & 1))) >> 16);
    }
}
