namespace Moxing.Core.Kernels.Integer;

/// <summary>
/// The 8-bit activation blocks the integer kernels read: float activations quantized once per product, as ggml's
/// <c>block_q8_0</c>/<c>block_q8_1</c> (32 values) and <c>block_q8_K</c> (256 values), with float scales.
/// </summary>
internal static class ActivationBlocks
{
    /// <summary>Values per small block (for the 32-weight formats).</summary>
    public const int Q8Size = 32;

    /// <summary>Bytes per small block: float d, float d·(sum of the codes), 32 signed codes.</summary>
    public const int Q8Bytes = 40;

    /// <summary>Offset of the codes in a small block.</summary>
    public const int Q8Codes = 8;

    /// <summary>Values per K block (for the 256-weight K formats).</summary>
    public const int Q8KSize = 256;

    /// <summary>Bytes per K block: float d, sixteen 16-bit sums of 16 codes each, 256 signed codes.</summary>
    public const int Q8KBytes = 292;

    /// <summary>Offset of the per-16 sums in a K block.</summary>
    public const int Q8KSums = 4;

    /// <summary>Offset of the codes in a K block.</summary>
    public const int Q8KCodes = 36;

    /// <summary>Bytes of one row of <paramref name="k"/> activations quantized to blocks of <paramref name="blockSize"/>.</summary>
    public static int RowBytes(int k, int blockSize) => k / blockSize * (blockSize == Q8Size ? Q8Bytes : Q8KBytes);
}
