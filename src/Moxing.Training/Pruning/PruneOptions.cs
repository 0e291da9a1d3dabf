namespace Moxing.Training.Pruning;

/// <summary>
/// What `moxing prune` does: magnitude pruning to <paramref name="Sparsity"/> in a pattern and scope, and/or
/// structured removal of <paramref name="Heads"/> attention heads and <paramref name="Channels"/> MLP channels per layer.
/// </summary>
public sealed record PruneOptions(double Sparsity = 0, SparsityPattern Pattern = default, PruningScope Scope = PruningScope.Layer, int Heads = 0, int Channels = 0)
{
    /// <summary>True when weights are zeroed by magnitude (a sparsity or an N:M pattern was asked for).</summary>
    public bool Magnitude => Sparsity > 0 || !Pattern.IsUnstructured;

    /// <summary>True when heads or channels are removed.</summary>
    public bool Structured => Heads > 0 || Channels > 0;
}
