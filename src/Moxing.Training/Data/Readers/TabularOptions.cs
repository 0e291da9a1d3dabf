namespace Moxing.Training.Data.Readers;

/// <summary>How to read a table of numeric features and a label.</summary>
public sealed record TabularOptions
{
    /// <summary>The label column: a header name or a 0-based index; null = the last column.</summary>
    public string? LabelColumn { get; init; }

    /// <summary>A separate file holding one target per row (e.g. diabetes_target.csv.gz); then every column is a feature.</summary>
    public string? TargetsPath { get; init; }

    /// <summary>Classification or regression; null decides from the labels.</summary>
    public TabularTask? Task { get; init; }

    /// <summary>Field delimiter; null detects it (tab for .tsv, else tab/comma/semicolon, else whitespace).</summary>
    public char? Delimiter { get; init; }
}

/// <summary>What a table's label column is.</summary>
public enum TabularTask
{
    /// <summary>Discrete classes.</summary>
    Classification,

    /// <summary>A real-valued target.</summary>
    Regression,
}
