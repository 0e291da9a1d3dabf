namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// Receives a block's weights as they are decoded, a vector at a time: a store (dequantization) or a dot product.
/// The block formats call it with the float operations ggml uses, so a store reproduces ggml's values bit for bit.
/// </summary>
/// <remarks><c>stream</c> (0..3) is a constant at every call site: independent streams let a dot product keep
/// several accumulators in flight. Scales come broadcast, so the decoders broadcast them once per group, outside
/// their inner loops.</remarks>
internal interface IWeightSink<TF> where TF : struct
{
    /// <summary>Weights [index, index + lanes) of the block are <c>q * scale</c>.</summary>
    void Scaled(nint index, TF q, TF scale, int stream);

    /// <summary>Weights [index, index + lanes) of the block are <c>q * scale + offset</c> (rounded after each operation).</summary>
    void ScaledOffset(nint index, TF q, TF scale, TF offset, int stream);
}
