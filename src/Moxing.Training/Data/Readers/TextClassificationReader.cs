using System.Text.Json;
using Moxing.Core;
using Moxing.Training.Data.Text;

namespace Moxing.Training.Data.Readers;

/// <summary>
/// Reads labelled texts from JSON Lines (one object per line with a text and a label field) or from CSV/TSV
/// with a header naming the text and label columns. Class names are the distinct labels in ordinal order.
/// </summary>
public static class TextClassificationReader
{
    /// <summary>Reads <paramref name="path"/> (.jsonl / .csv / .tsv, optionally .gz).</summary>
    public static LabeledTexts Read(string path, string textField = "text", string labelField = "label")
    {
        var name = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        var rows = name.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase)
            ? ReadJsonLines(path, textField, labelField)
            : ReadDelimited(path, textField, labelField);
        if (rows.Count == 0) throw new InvalidModelFileException(path, "no examples");
        var classes = rows.Select(r => r.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var index = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        return new LabeledTexts(rows.Select(r => r.Text).ToArray(), rows.Select(r => index[r.Label]).ToArray(), classes);
    }

    private static List<(string Text, string Label)> ReadJsonLines(string path, string textField, string labelField)
    {
        var rows = new List<(string, string)>();
        foreach (var (line, text) in DataFile.Lines(path))
        {
            if (string.IsNullOrWhiteSpace(text)) continue;
            JsonDocument doc;
            try { doc = JsonDocument.Parse(text); }
            catch (JsonException e) { throw DataFile.Error(path, line, "not a JSON object: " + e.Message); }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw DataFile.Error(path, line, "expected a JSON object");
                rows.Add((Field(path, line, doc.RootElement, textField), Field(path, line, doc.RootElement, labelField)));
            }
        }
        return rows;
    }

    private static string Field(string path, int line, JsonElement row, string name)
    {
        if (!row.TryGetProperty(name, out var value)) throw DataFile.Error(path, line, $"no \"{name}\" field");
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
            _ => throw DataFile.Error(path, line, $"\"{name}\" must be a string, number or boolean"),
        };
    }

    private static List<(string Text, string Label)> ReadDelimited(string path, string textField, string labelField)
    {
        var name = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        var delimiter = name.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) ? '\t' : ',';
        using var records = new DelimitedReader(path, delimiter).Records().GetEnumerator();
        if (!records.MoveNext()) return [];
        var header = records.Current.Fields.Select(f => f.Trim()).ToArray();
        var textColumn = Array.IndexOf(header, textField);
        var labelColumn = Array.IndexOf(header, labelField);
        if (textColumn < 0 || labelColumn < 0)
            throw DataFile.Error(path, records.Current.Line, $"the header needs columns '{textField}' and '{labelField}', it has: {string.Join(", ", header)}");
        var rows = new List<(string, string)>();
        while (records.MoveNext())
        {
            var (line, fields) = records.Current;
            if (fields.Length != header.Length) throw DataFile.Error(path, line, $"{fields.Length} fields, expected {header.Length}");
            rows.Add((fields[textColumn], fields[labelColumn].Trim()));
        }
        return rows;
    }
}
