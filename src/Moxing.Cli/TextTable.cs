namespace Moxing.Cli;

/// <summary>A plain-text table as `ollama list` prints one: a header row, columns padded to their widest cell, two spaces apart.</summary>
public static class TextTable
{
    /// <summary>Writes <paramref name="header"/> and <paramref name="rows"/> (each as many cells as the header).</summary>
    public static void Write(TextWriter output, string[] header, IReadOnlyList<string[]> rows)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        foreach (var row in rows.Prepend(header))
            output.WriteLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
    }
}
