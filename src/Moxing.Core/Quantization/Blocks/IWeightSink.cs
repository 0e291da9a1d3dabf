namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// Receives a block's weights as they are decoded, a vector at a time: a store (dequantization) or a dot product.
/// The block formats call it with the float operations ggml uses, so a store reproduces ggml's values bit for bit.
/// </summary>
/// <remarks><c>stream</c> (0..3) is a constant at every call site: independent streams let a dot product keep
/// several accumulators in flight.</remarks>
internal interface IWeightSink<TF> where TF : struct
{
    /// <summary>Weights [index, index + lanes) of the block are <c>q * scale</c>.</summary>
    void Scaled(int index, TF q, float scale, int stream);

    /// <summary>Weights [index, index + lanes) of the block are <c>q * scale + offset</c> (rounded after each operation).</summary>
    void ScaledOffset(int index, TF q, float scale, float offset, int stream);
}
