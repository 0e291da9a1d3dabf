using System.Globalization;
using System.Text;

namespace Moxing.Server.Observability;

/// <summary>Writes metrics in Prometheus's text exposition format, version 0.0.4.</summary>
public sealed class PrometheusTextWriter(TextWriter output)
{
    /// <summary>The Content-Type of a scrape response.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Writes the HELP and TYPE lines that open a metric family (type: counter, gauge or histogram).</summary>
    public void Family(string name, string type, string help)
    {
        output.Write("# HELP ");
        output.Write(name);
        output.Write(' ');
        // In HELP text only backslash and newline are escaped.
        output.Write(help.Replace("\\", "\\\\").Replace("\n", "\\n"));
        output.Write("\n# TYPE ");
        output.Write(name);
        output.Write(' ');
        output.Write(type);
        output.Write('\n');
    }

    /// <summary>Writes one sample: <paramref name="name"/>, its rendered <paramref name="labels"/> (see <see cref="Labels"/>) and value.</summary>
    public void Sample(string name, string labels, double value)
    {
        output.Write(name);
        output.Write(labels);
        output.Write(' ');
        output.Write(Format(value));
        output.Write('\n');
    }

    /// <summary>A label set rendered as <c>{a="x",b="y"}</c> (empty when there are none), values escaped.</summary>
    public static string Labels(ReadOnlySpan<string> names, ReadOnlySpan<string> values)
    {
        if (names.Length != values.Length) throw new ArgumentException($"{names.Length} label names but {values.Length} values");
        if (names.Length == 0) return "";
        var text = new StringBuilder("{");
        for (var i = 0; i < names.Length; i++)
        {
            if (i > 0) text.Append(',');
            AppendLabel(text, names[i], values[i]);
        }
        return text.Append('}').ToString();
    }

    /// <summary><paramref name="labels"/> (rendered) with one more label appended, e.g. a histogram bucket's <c>le</c>.</summary>
    public static string WithLabel(string labels, string name, string value)
    {
        var text = new StringBuilder(labels.Length + name.Length + value.Length + 6);
        if (labels.Length == 0) text.Append('{');
        else text.Append(labels, 0, labels.Length - 1).Append(',');
        AppendLabel(text, name, value);
        return text.Append('}').ToString();
    }

    private static void AppendLabel(StringBuilder text, string name, string value)
    {
        text.Append(name).Append("=\"");
        foreach (var c in value)
            _ = c switch
            {
                '\\' => text.Append("\\\\"),
                '"' => text.Append("\\\""),
                '\n' => text.Append("\\n"),
                _ => text.Append(c),
            };
        text.Append('"');
    }

    /// <summary>A sample value as Prometheus writes it: shortest round-trip decimal, +Inf, -Inf or NaN.</summary>
    public static string Format(double value) => double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);
}
