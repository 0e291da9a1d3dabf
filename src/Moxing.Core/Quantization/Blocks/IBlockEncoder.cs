namespace Moxing.Core.Quantization.Blocks;

/// <summary>A block format that can be produced from floats, as ggml's reference quantizer <c>quantize_row_*_ref</c> does.</summary>
internal unsafe interface IBlockEncoder : IBlockFormat
{
    /// <summary>Encodes <c>BlockSize</c> floats at <paramref name="src"/> into one block at <paramref name="dst"/>.</summary>
    static abstract void Encode(float* src, byte* dst);
}
