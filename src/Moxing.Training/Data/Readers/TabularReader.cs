using System.Globalization;
using Moxing.Core;

namespace Moxing.Training.Data.Readers;

/// <summary>
/// Reads CSV/TSV tables of numeric features and a label into [F] examples. The first row is a header of column
/// names, or scikit-learn's "N,F,class names…" line, or data (when it is all numbers).
/// </summary>
public static class TabularReader
{
    /// <summary>Numeric labels with at most this many distinct integer values are read as classes by default.</summary>
    public const int MaxAutomaticClasses = 50;

    /// <summary>Reads a table; errors name the file and line.</summary>
    public static TabularTable Read(string path, TabularOptions? options = null)
    {
        options ??= new TabularOptions();
        var delimiter = options.Delimiter ?? DelimitedReader.Detect(path);
        var records = new DelimitedReader(path, delimiter).Records().ToList();
        if (records.Count == 0) throw new InvalidModelFileException(path, "no rows");
        var layout = Layout(records);
        var rows = records.Skip(layout.HeaderRows).ToList();
        if (rows.Count == 0) throw new InvalidModelFileException(path, "a header but no data rows");
        var width = layout.Names.Length;
        var separateTargets = options.TargetsPath != null;
        var labelIndex = separateTargets ? -1 : LabelIndex(path, layout.Names, options.LabelColumn);
        var featureCount = separateTargets ? width : width - 1;
        if (featureCount == 0) throw new InvalidModelFileException(path, "no feature columns besides the label");

        var features = new float[rows.Count * featureCount];
        var labelTexts = new string[rows.Count];
        for (var r = 0; r < rows.Count; r++)
        {
            var (line, fields) = rows[r];
            if (fields.Length != width) throw DataFile.Error(path, line, $"{fields.Length} fields, expected {width} as in the first row");
            var f = r * featureCount;
            for (var c = 0; c < width; c++)
            {
                if (c == labelIndex) { labelTexts[r] = fields[c].Trim(); continue; }
                features[f++] = Number(path, line, layout.Names[c], fields[c]);
            }
        }
        var labelLines = rows.Select(r => r.Line).ToArray();
        if (separateTargets) (labelTexts, labelLines) = TargetTexts(options.TargetsPath!, rows.Count);
        var featureNames = layout.Names.Where((_, c) => c != labelIndex).ToArray();
        var labelName = labelIndex >= 0 ? layout.Names[labelIndex] : "target";
        var targets = Targets(separateTargets ? options.TargetsPath! : path, labelLines, labelTexts, labelName, layout.ClassNames, options.Task);
        return new TabularTable(new Dataset(features, [featureCount], targets), featureNames, labelName);
    }

    private sealed record TableLayout(int HeaderRows, string[] Names, string[]? ClassNames);

    private static TableLayout Layout(List<(int Line, string[] Fields)> records)
    {
        var first = records[0].Fields;
        if (first.All(IsNumber))
            return new(0, Enumerable.Range(0, first.Length).Select(i => $"column {i + 1}").ToArray(), null);
        // scikit-learn's bundled CSVs: "n_samples,n_features,class names…" then n_features values and an integer label.
        if (first.Length >= 2 && int.TryParse(first[0], out var n) && int.TryParse(first[1], out var f)
            && n == records.Count - 1 && records.Count > 1 && records[1].Fields.Length == f + 1)
        {
            var names = Enumerable.Range(0, f).Select(i => $"feature {i + 1}").Append("label").ToArray();
            return new(1, names, first.Length > 2 ? first[2..].Select(s => s.Trim()).ToArray() : null);
        }
        return new(1, first.Select(s => s.Trim()).ToArray(), null);
    }

    private static int LabelIndex(string path, string[] names, string? column)
    {
        if (column == null) return names.Length - 1;
        var byName = Array.IndexOf(names, column);
        if (byName >= 0) return byName;
        if (int.TryParse(column, out var index) && index >= 0 && index < names.Length) return index;
        throw new InvalidModelFileException(path, $"no label column '{column}' (columns: {string.Join(", ", names)})");
    }

    private static (string[] Texts, int[] Lines) TargetTexts(string path, int count)
    {
        var rows = new DelimitedReader(path, DelimitedReader.Detect(path)).Records().ToList();
        if (rows.Count != count) throw new InvalidModelFileException(path, $"{rows.Count} targets for {count} rows");
        foreach (var (line, fields) in rows)
            if (fields.Length != 1) throw DataFile.Error(path, line, $"{fields.Length} fields, expected one target");
        return (rows.Select(r => r.Fields[0].Trim()).ToArray(), rows.Select(r => r.Line).ToArray());
    }

    private static DatasetTargets Targets(string path, int[] lines, string[] labels, string labelName,
        string[]? classNames, TabularTask? task)
    {
        var numeric = labels.All(IsNumber);
        if (classNames != null && task != TabularTask.Regression)
        {
            var ids = new int[labels.Length];
            for (var i = 0; i < labels.Length; i++)
                if (!int.TryParse(labels[i], out ids[i]) || ids[i] < 0 || ids[i] >= classNames.Length)
                    throw DataFile.Error(path, lines[i], $"label '{labels[i]}' is not a class index 0..{classNames.Length - 1}");
            return DatasetTargets.Classes(ids, classNames);
        }
        var resolved = task ?? (numeric && !LooksCategorical(labels) ? TabularTask.Regression : TabularTask.Classification);
        if (resolved == TabularTask.Regression)
        {
            var values = new float[labels.Length];
            for (var i = 0; i < labels.Length; i++) values[i] = Number(path, lines[i], labelName, labels[i]);
            return DatasetTargets.Regression(values);
        }
        var distinct = labels.Distinct(StringComparer.Ordinal).ToList();
        if (numeric) distinct.Sort((a, b) => Parse(a).CompareTo(Parse(b)));
        else distinct.Sort(StringComparer.Ordinal);
        var index = distinct.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);
        return DatasetTargets.Classes(labels.Select(l => index[l]).ToArray(), distinct);
    }

    private static bool LooksCategorical(string[] labels)
    {
        var distinct = new HashSet<double>();
        foreach (var l in labels)
        {
            var v = Parse(l);
            if (v != Math.Floor(v)) return false;
            distinct.Add(v);
            if (distinct.Count > MaxAutomaticClasses) return false;
        }
        return distinct.Count < labels.Length;
    }

    private static bool IsNumber(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static double Parse(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static float Number(string path, int line, string column, string text)
    {
        if (float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && float.IsFinite(v)) return v;
        throw DataFile.Error(path, line, $"column '{column}': '{text}' is not a number");
    }
}

/// <summary>A table read by <see cref="TabularReader"/>: its examples and column names.</summary>
public sealed record TabularTable(Dataset Data, string[] FeatureNames, string LabelName);
