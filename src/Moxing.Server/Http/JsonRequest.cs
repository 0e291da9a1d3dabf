using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Moxing.Core.Formats;

namespace Moxing.Server.Http;

/// <summary>
/// A JSON request object read field by field: each getter checks the type and range and names the field when it
/// is wrong, and <see cref="RejectUnknown"/> turns any field nobody read into a 400, so no parameter is silently ignored.
/// </summary>
public sealed class JsonRequest
{
    /// <summary>How request JSON is parsed: at most 64 levels deep, and a field given twice is an error rather than a crash later.</summary>
    public static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 64, AllowDuplicateProperties = false };
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    /// <summary>Wraps <paramref name="body"/>; <paramref name="path"/> prefixes field names in messages (e.g. "options.").</summary>
    public JsonRequest(JsonObject body, string path = "")
    {
        Body = body;
        Path = path;
    }

    /// <summary>The object.</summary>
    public JsonObject Body { get; }

    /// <summary>Prefix of field names in messages.</summary>
    public string Path { get; }

    /// <summary>Reads the request body as a JSON object; an empty body, invalid UTF-8 or anything but one JSON object is a 400.</summary>
    public static async Task<JsonRequest> ReadAsync(HttpRequest request, CancellationToken cancellation)
    {
        // Buffered whole (Kestrel caps it at --max-body) so that encoding errors are reported before parsing.
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, cancellation);
        return Parse(body.GetBuffer().AsMemory(0, (int)body.Length));
    }

    /// <summary>Parses a request body; an empty body, invalid UTF-8 or anything but one JSON object is a 400 saying which.</summary>
    public static JsonRequest Parse(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty) throw new ApiException(400, "the request body is empty; send a JSON object", code: "invalid_json");
        if (Utf8Text.FirstInvalidByte(body.Span) is var at and >= 0)
            throw new ApiException(400, $"the request body is not valid UTF-8 (byte {at} begins an invalid sequence)", code: "invalid_json");
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(body.Span, documentOptions: ParseOptions);
        }
        catch (JsonException e)
        {
            throw new ApiException(400, $"the request body is not valid JSON: {e.Message}", code: "invalid_json");
        }
        return node is JsonObject o
            ? new JsonRequest(o)
            : throw new ApiException(400, "the request body must be a JSON object", code: "invalid_json");
    }

    /// <summary>The full name of <paramref name="key"/> for messages.</summary>
    public string Name(string key) => Path + key;

    /// <summary>True when the field is present and not null (it counts as read).</summary>
    public bool Has(string key) => Node(key) is not null;

    /// <summary>The raw field, or null when absent or null; marks it read.</summary>
    public JsonNode? Node(string key)
    {
        _read.Add(key);
        return Body[key];
    }

    /// <summary>A string field, or null.</summary>
    public string? String(string key) => Node(key) switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw Wrong(key, "a string"),
    };

    /// <summary>A string field that must be present.</summary>
    public string RequiredString(string key) =>
        String(key) ?? throw new ApiException(400, $"'{Name(key)}' is required", param: Name(key), code: "missing_required_parameter");

    /// <summary>A boolean field, or null.</summary>
    public bool? Bool(string key) => Node(key) switch
    {
        null => null,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        _ => throw Wrong(key, "true or false"),
    };

    /// <summary>An integer field within [min, max], or null.</summary>
    public long? Long(string key, long min = long.MinValue, long max = long.MaxValue)
    {
        var node = Node(key);
        if (node is null) return null;
        if (!JsonValues.TryGetNumber(node, out var d) || d != Math.Floor(d)) throw Wrong(key, "an integer");
        if (d < min || d > max) throw OutOfRange(key, min, max);
        return node.AsValue().TryGetValue<long>(out var l) ? l : (long)d;
    }

    /// <summary>An int field within [min, max], or null.</summary>
    public int? Int(string key, int min = int.MinValue, int max = int.MaxValue) => (int?)Long(key, min, max);

    /// <summary>A finite number within [min, max], or null.</summary>
    public double? Number(string key, double min = double.MinValue, double max = double.MaxValue)
    {
        var node = Node(key);
        if (node is null) return null;
        if (!JsonValues.TryGetNumber(node, out var d)) throw Wrong(key, "a number");
        if (d < min || d > max) throw OutOfRange(key, min, max);
        return d;
    }

    /// <summary>An object field, or null.</summary>
    public JsonObject? Object(string key) => Node(key) switch
    {
        null => null,
        JsonObject o => o,
        _ => throw Wrong(key, "an object"),
    };

    /// <summary>A nested object read with the same rules (its unknown fields are rejected by its own <see cref="RejectUnknown"/>).</summary>
    public JsonRequest? Nested(string key) => Object(key) is { } o ? new JsonRequest(o, Name(key) + ".") : null;

    /// <summary>An array field, or null.</summary>
    public JsonArray? Array(string key) => Node(key) switch
    {
        null => null,
        JsonArray a => a,
        _ => throw Wrong(key, "an array"),
    };

    /// <summary>A string or an array of strings (stop sequences, inputs), or null.</summary>
    public IReadOnlyList<string>? StringOrList(string key)
    {
        var node = Node(key);
        if (node is null) return null;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String) return [v.GetValue<string>()];
        if (node is not JsonArray a) throw Wrong(key, "a string or an array of strings");
        var list = new List<string>(a.Count);
        foreach (var item in a)
        {
            if (item is not JsonValue s || s.GetValueKind() != JsonValueKind.String) throw Wrong(key, "a string or an array of strings");
            list.Add(s.GetValue<string>());
        }
        return list;
    }

    /// <summary>Throws a 400 for a field that has a value this server cannot honour.</summary>
    public ApiException Unsupported(string key, string? why = null) => ApiException.Unsupported(Name(key), why);

    /// <summary>A 400 saying what <paramref name="key"/> should have been.</summary>
    public ApiException Wrong(string key, string expected) =>
        ApiException.BadParameter(Name(key), $"'{Name(key)}' must be {expected}");

    private ApiException OutOfRange(string key, double min, double max) =>
        ApiException.BadParameter(Name(key), min <= long.MinValue ? $"'{Name(key)}' must be at most {max}"
            : max >= long.MaxValue ? $"'{Name(key)}' must be at least {min}"
            : $"'{Name(key)}' must be between {min} and {max}");

    /// <summary>Throws a 400 naming the first field (non-null) that no getter read.</summary>
    public void RejectUnknown()
    {
        foreach (var (key, value) in Body)
            if (value is not null && !_read.Contains(key))
                throw ApiException.Unsupported(Name(key));
    }
}
