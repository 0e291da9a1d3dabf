namespace Moxing.Training.Data;

/// <summary>
/// What a data set predicts: class labels (<see cref="LabelsPerExample"/> per example: 1 for classification,
/// the sequence length for language models) or real-valued targets (<see cref="ValuesPerExample"/> each).
/// </summary>
public sealed class DatasetTargets
{
    private DatasetTargets(int[]? labels, int labelsPerExample, float[]? values, int valuesPerExample, IReadOnlyList<string> classNames)
    {
        Labels = labels;
        LabelsPerExample = labelsPerExample;
        Values = values;
        ValuesPerExample = valuesPerExample;
        ClassNames = classNames;
        Count = labels != null ? labels.Length / labelsPerExample : values!.Length / valuesPerExample;
    }

    /// <summary>Class labels, one per example (classification).</summary>
    public static DatasetTargets Classes(int[] labels, IReadOnlyList<string> classNames) => Sequences(labels, 1, classNames);

    /// <summary>Class labels, <paramref name="perExample"/> per example (e.g. next tokens of a language model).</summary>
    public static DatasetTargets Sequences(int[] labels, int perExample, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (perExample <= 0 || labels.Length % perExample != 0) throw new ArgumentException($"{labels.Length} labels are not whole groups of {perExample}");
        foreach (var l in labels)
            if ((uint)l >= (uint)classNames.Count) throw new ArgumentException($"label {l} is outside the {classNames.Count} classes");
        return new(labels, perExample, null, 0, classNames);
    }

    /// <summary>Real-valued targets, <paramref name="perExample"/> per example (regression).</summary>
    public static DatasetTargets Regression(float[] values, int perExample = 1)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (perExample <= 0 || values.Length % perExample != 0) throw new ArgumentException($"{values.Length} targets are not whole groups of {perExample}");
        return new(null, 0, values, perExample, []);
    }

    /// <summary>Number of examples.</summary>
    public int Count { get; }

    /// <summary>Class labels (null for regression).</summary>
    public int[]? Labels { get; }

    /// <summary>Labels per example.</summary>
    public int LabelsPerExample { get; }

    /// <summary>Regression targets (null for classification).</summary>
    public float[]? Values { get; }

    /// <summary>Targets per example.</summary>
    public int ValuesPerExample { get; }

    /// <summary>Class names, index = label (empty for regression).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>True for class labels.</summary>
    public bool IsClassification => Labels != null;

    /// <summary>Targets of the examples at <paramref name="indices"/>, in that order.</summary>
    public DatasetTargets Subset(ReadOnlySpan<int> indices)
    {
        if (Labels != null)
            return new(Gather(Labels, LabelsPerExample, indices), LabelsPerExample, null, 0, ClassNames);
        return new(null, 0, Gather(Values!, ValuesPerExample, indices), ValuesPerExample, ClassNames);
    }

    internal static T[] Gather<T>(T[] source, int width, ReadOnlySpan<int> indices)
    {
        var result = new T[indices.Length * width];
        for (var i = 0; i < indices.Length; i++)
            source.AsSpan(indices[i] * width, width).CopyTo(result.AsSpan(i * width, width));
        return result;
    }
}
