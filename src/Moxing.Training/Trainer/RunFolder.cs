namespace Moxing.Training.Trainer;

/// <summary>The files of a run folder.</summary>
public sealed record RunFolder(string Path)
{
    /// <summary>The recipe as run (data paths absolute).</summary>
    public string Recipe => Combine("recipe.yaml");

    /// <summary>Weights after the last finished epoch.</summary>
    public string Checkpoint => Combine("model.safetensors");

    /// <summary>Weights of the epoch with the lowest validation loss.</summary>
    public string Best => Combine("best.safetensors");

    /// <summary>Optimizer buffers (Adam moments, momentum), step counts and learning rate after the last finished epoch.</summary>
    public string OptimizerState => Combine("optimizer.safetensors");

    /// <summary>Epoch count, best validation loss and early-stopping counter.</summary>
    public string State => Combine("state.json");

    /// <summary>Per-epoch and per-split measurements.</summary>
    public string MetricsJson => Combine("metrics.json");

    /// <summary>Per-epoch table.</summary>
    public string MetricsCsv => Combine("metrics.csv");

    /// <summary>The vocabulary of text runs.</summary>
    public string Vocabulary => Combine("vocab.json");

    private string Combine(string name) => System.IO.Path.Combine(Path, name);
}
