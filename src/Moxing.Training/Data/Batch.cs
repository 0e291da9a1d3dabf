namespace Moxing.Training.Data;

/// <summary>
/// A mini-batch: inputs of shape [Size, ...example shape] and the matching labels (Size × labels per example)
/// or regression targets.
/// </summary>
public sealed record Batch(float[] Inputs, int[] InputShape, int[]? Labels, float[]? Values, int[] Indices)
{
    /// <summary>Examples in the batch.</summary>
    public int Size => InputShape[0];
}
