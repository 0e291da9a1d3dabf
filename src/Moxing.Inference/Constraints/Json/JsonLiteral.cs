using System.Text.Encodings.Web;
using System.Text.Json;

namespace Moxing.Inference.Constraints.Json;

/// <summary>Compact JSON text of values and names, as constrained output writes them (non-ASCII left unescaped).</summary>
internal static class JsonLiteral
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    /// <summary>The compact JSON text of a value.</summary>
    public static string Text(JsonElement value)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, Options)) value.WriteTo(writer);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>A string as a quoted JSON string.</summary>
    public static string String(string value)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, Options)) writer.WriteStringValue(value);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
