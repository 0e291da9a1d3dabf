namespace Moxing.Training.Pruning;

/// <summary>A weight to prune: its name, its values (row-major) and the length of one output row (inputs per output).</summary>
public sealed record PruningTarget(string Name, int[] Shape, float[] Values)
{
    /// <summary>Values per output row: everything but the first dimension (in·kh·kw for a convolution).</summary>
    public int RowLength => Shape.Length == 0 || Shape[0] == 0 ? Values.Length : Values.Length / Shape[0];
}
