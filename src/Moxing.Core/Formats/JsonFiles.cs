using System.Text.Json;

namespace Moxing.Core.Formats;

/// <summary>Loads JSON files (index.json, config.json), reporting unreadable or malformed ones as <see cref="InvalidModelFileException"/>.</summary>
internal static class JsonFiles
{
    public static JsonDocument Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidModelFileException(path, $"cannot read the file ({e.Message})", e);
        }
        return Parse(bytes, path);
    }

    /// <summary>Parses <paramref name="json"/>; <paramref name="what"/> names the text in the error ("JSON", "JSON header").</summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> json, string path, string what = "JSON")
    {
        // JsonDocument checks UTF-8 only when a string is read, and then throws InvalidOperationException.
        if (Utf8Text.FirstInvalidByte(json.Span) is var at and >= 0)
            throw new InvalidModelFileException(path, $"the {what} is not valid UTF-8 (byte {at} begins an invalid sequence)");
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidModelFileException(path, $"malformed {what}: {e.Message}", e);
        }
    }
}
