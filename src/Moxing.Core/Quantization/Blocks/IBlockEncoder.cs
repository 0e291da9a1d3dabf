namespace Moxing.Core.Quantization.Blocks;

/// <summary>A block format that can be produced from floats exactly as llama-quantize produces it.</summary>
internal unsafe interface IBlockEncoder : IBlockFormat
{
    /// <summary>
    /// Encodes <c>BlockSize</c> floats at <paramref name="src"/> into one block at <paramref name="dst"/>, as ggml's
    /// <c>quantize_*</c> does without an importance matrix (the reference <c>quantize_row_*_ref</c> for most types).
    /// </summary>
    static abstract void Encode(float* src, byte* dst);

    /// <summary>
    /// Encodes one block as ggml's <c>quantize_row_*_impl</c> does with an importance matrix: <paramref name="importance"/>
    /// holds the block's <c>BlockSize</c> column weights and <paramref name="rowSigma2"/> the mean square of the whole row
    /// (the 32-weight types weight by it; the super-block types use their own block's).
    /// </summary>
    static abstract void EncodeWeighted(float* src, byte* dst, float* importance, float rowSigma2);
}
