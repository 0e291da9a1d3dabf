namespace Moxing.Training.Data;

/// <summary>
/// Examples held in memory: a float input per example (dense features, pixels, or token ids stored as floats) and
/// either class labels (one per example, or one per position for language models) or regression targets.
/// </summary>
public sealed class Dataset
{
    /// <summary>Creates a data set; <paramref name="inputs"/> holds <c>count × product(exampleShape)</c> values.</summary>
    public Dataset(float[] inputs, int[] exampleShape, DatasetTargets targets, InputKind kind = InputKind.Dense, int vocabularySize = 0)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(exampleShape);
        ArgumentNullException.ThrowIfNull(targets);
        ExampleSize = 1;
        foreach (var d in exampleShape)
        {
            if (d <= 0) throw new ArgumentException($"example dimensions must be positive, got [{string.Join(", ", exampleShape)}]");
            ExampleSize = checked(ExampleSize * d);
        }
        if (inputs.Length % ExampleSize != 0)
            throw new ArgumentException($"{inputs.Length} input values are not a whole number of examples of {ExampleSize}");
        Count = inputs.Length / ExampleSize;
        if (targets.Count != Count) throw new ArgumentException($"{Count} examples but {targets.Count} targets");
        if (kind == InputKind.Tokens && vocabularySize <= 0) throw new ArgumentException("token inputs need a vocabulary size");
        Inputs = inputs;
        ExampleShape = exampleShape;
        Targets = targets;
        Kind = kind;
        VocabularySize = vocabularySize;
    }

    /// <summary>Number of examples.</summary>
    public int Count { get; }

    /// <summary>Shape of one example's input (e.g. [64], [1, 28, 28], [T]).</summary>
    public int[] ExampleShape { get; }

    /// <summary>Values per example.</summary>
    public int ExampleSize { get; }

    /// <summary>All inputs, example after example.</summary>
    public float[] Inputs { get; }

    /// <summary>Labels or regression targets.</summary>
    public DatasetTargets Targets { get; }

    /// <summary>Whether inputs are dense values or token ids.</summary>
    public InputKind Kind { get; }

    /// <summary>Number of token ids (token inputs only).</summary>
    public int VocabularySize { get; }

    /// <summary>The inputs of example <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Example(int index) => Inputs.AsSpan(index * ExampleSize, ExampleSize);

    /// <summary>A new data set with the examples at <paramref name="indices"/> (copied, in that order).</summary>
    public Dataset Subset(ReadOnlySpan<int> indices)
    {
        var inputs = new float[indices.Length * ExampleSize];
        for (var i = 0; i < indices.Length; i++)
            Example(indices[i]).CopyTo(inputs.AsSpan(i * ExampleSize, ExampleSize));
        return new Dataset(inputs, ExampleShape, Targets.Subset(indices), Kind, VocabularySize);
    }
}

/// <summary>What the numbers of an input are.</summary>
public enum InputKind
{
    /// <summary>Real-valued features or pixels.</summary>
    Dense,

    /// <summary>Token ids (integers stored as floats), for embedding layers.</summary>
    Tokens,
}
