using System.Text;

namespace Moxing.Training.Data.Readers;

/// <summary>
/// Reads CSV/TSV records: fields split by a delimiter (or by runs of whitespace), double-quoted fields with ""
/// escapes that may span lines; each record carries the line it starts on.
/// </summary>
public sealed class DelimitedReader
{
    private readonly string _path;
    private readonly char? _delimiter;

    /// <summary>Reads <paramref name="path"/>; a null <paramref name="delimiter"/> splits on whitespace.</summary>
    public DelimitedReader(string path, char? delimiter)
    {
        _path = path;
        _delimiter = delimiter;
    }

    /// <summary>Picks the delimiter for a file: tab for .tsv, else the first of tab, comma, semicolon in its first line, else whitespace.</summary>
    public static char? Detect(string path)
    {
        var name = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        if (name.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase)) return '\t';
        var first = DataFile.Lines(path).Select(l => l.Text).FirstOrDefault(l => l.Length > 0) ?? "";
        foreach (var c in "\t,;")
            if (first.Contains(c)) return c;
        return null;
    }

    /// <summary>The non-empty records and the line each starts on.</summary>
    public IEnumerable<(int Line, string[] Fields)> Records()
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var inQuotes = false;
        var start = 0;
        foreach (var (number, text) in DataFile.Lines(_path))
        {
            if (!inQuotes)
            {
                start = number;
                if (text.Length == 0) continue;
                if (_delimiter == null)
                {
                    yield return (number, text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
                    continue;
                }
            }
            else field.Append('\n');
            inQuotes = SplitInto(text, fields, field, inQuotes);
            if (inQuotes) continue;
            fields.Add(field.ToString());
            field.Clear();
            yield return (start, fields.ToArray());
            fields.Clear();
        }
        if (inQuotes) throw DataFile.Error(_path, start, "a quoted field is never closed");
    }

    // Appends the fields of one physical line; returns true when it ends inside a quoted field.
    private bool SplitInto(string text, List<string> fields, StringBuilder field, bool inQuotes)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (inQuotes)
            {
                if (c != '"') field.Append(c);
                else if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else inQuotes = false;
            }
            else if (c == '"' && field.Length == 0) inQuotes = true;
            else if (c == _delimiter) { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        return inQuotes;
    }
}
