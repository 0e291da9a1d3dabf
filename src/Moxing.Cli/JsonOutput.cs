using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Moxing.Cli;

/// <summary>Writes one JSON document to a command's output (float32 values in shortest round-trip form; an infinity or NaN,
/// which JSON numbers cannot hold, as the string "Infinity", "-Infinity" or "NaN").</summary>
public static class JsonOutput
{
    /// <summary>Builds a document with <paramref name="write"/> and writes it, followed by a newline.</summary>
    public static void Write(TextWriter output, Action<Utf8JsonWriter> write, bool indented = false)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            write(writer);
        output.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
    }

    /// <summary>Writes a property holding an array of numbers.</summary>
    public static void Numbers(this Utf8JsonWriter w, string name, ReadOnlySpan<float> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.Number(v);
        w.WriteEndArray();
    }

    /// <summary>Writes a float value; an infinity or NaN as its name in a string.</summary>
    public static void Number(this Utf8JsonWriter w, float value)
    {
        if (float.IsFinite(value)) w.WriteNumberValue(value);
        else w.WriteStringValue(float.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
    }

    /// <summary>Writes a property holding an array of integers.</summary>
    public static void Numbers(this Utf8JsonWriter w, string name, ReadOnlySpan<int> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    /// <summary>Writes a property holding rows of numbers ([rows, values.Length / rows]).</summary>
    public static void Matrix(this Utf8JsonWriter w, string name, ReadOnlySpan<float> values, int rows)
    {
        var cols = values.Length / rows;
        w.WriteStartArray(name);
        for (var r = 0; r < rows; r++)
        {
            w.WriteStartArray();
            foreach (var v in values.Slice(r * cols, cols)) w.Number(v);
            w.WriteEndArray();
        }
        w.WriteEndArray();
    }
}
