namespace Moxing.Training.Pruning;

/// <summary>One pruned tensor: its shape before and after, how many values it holds and how many of them are zero.</summary>
public sealed record TensorSparsity(string Name, long[] ShapeBefore, long[] ShapeAfter, long Count, long Zeros)
{
    /// <summary>Fraction of zeros.</summary>
    public double Sparsity => Count == 0 ? 0 : (double)Zeros / Count;
}

/// <summary>What a pruning did: per-tensor sparsity, parameters and bytes on disk before and after, and notes (tensors left alone, removed heads).</summary>
public sealed class PruningReport
{
    /// <summary>The pruned tensors.</summary>
    public List<TensorSparsity> Tensors { get; } = [];

    /// <summary>Tensors left dense and why, and structural changes.</summary>
    public List<string> Notes { get; } = [];

    /// <summary>All parameters before.</summary>
    public long ParametersBefore { get; set; }

    /// <summary>All parameters after (removed rows and columns no longer count).</summary>
    public long ParametersAfter { get; set; }

    /// <summary>Non-zero parameters after.</summary>
    public long NonZeroAfter { get; set; }

    /// <summary>Weight file bytes before.</summary>
    public long BytesBefore { get; set; }

    /// <summary>Weight file bytes after.</summary>
    public long BytesAfter { get; set; }

    /// <summary>Zeros over all pruned tensors.</summary>
    public double OverallSparsity
    {
        get
        {
            long zeros = 0, count = 0;
            foreach (var t in Tensors) (zeros, count) = (zeros + t.Zeros, count + t.Count);
            return count == 0 ? 0 : (double)zeros / count;
        }
    }

    /// <summary>Adds a tensor's entry, counting the zeros of <paramref name="values"/>.</summary>
    public void Add(string name, long[] before, long[] after, ReadOnlySpan<float> values)
    {
        long zeros = 0;
        foreach (var v in values) if (v == 0f) zeros++;
        Tensors.Add(new TensorSparsity(name, before, after, values.Length, zeros));
    }
}
