using System.Text.Json;
using System.Text.Json.Nodes;

namespace Moxing.Inference.Tools;

/// <summary>
/// The formats that write arguments as tagged plain text rather than JSON: Qwen3-Coder and Seed-OSS
/// (<c>&lt;function=NAME&gt;&lt;parameter=P&gt;\nVALUE\n&lt;/parameter&gt;…&lt;/function&gt;</c>), GLM-4.5
/// (<c>NAME&lt;arg_key&gt;P&lt;/arg_key&gt;&lt;arg_value&gt;VALUE&lt;/arg_value&gt;…</c>) and MiniMax-M2
/// (<c>&lt;invoke name="NAME"&gt;&lt;parameter name="P"&gt;VALUE&lt;/parameter&gt;…&lt;/invoke&gt;</c>, several per block). A value
/// stays a string when the tool's schema declares the parameter a string; otherwise it is read as JSON (numbers, booleans,
/// objects, lists) when it is JSON, else as the Python literal it spells (templates that write values with Jinja's string
/// filter write True, None, {'a': 1}), else kept as a string.
/// </summary>
internal static class XmlCalls
{
    /// <summary>MiniMax-M2's opener.</summary>
    public const string MiniMaxStart = "<minimax:tool_call>";
    /// <summary>MiniMax-M2's closer.</summary>
    public const string MiniMaxEnd = "</minimax:tool_call>";
    /// <summary>Seed-OSS' opener.</summary>
    public const string SeedStart = "<seed:tool_call>";
    /// <summary>Seed-OSS' closer.</summary>
    public const string SeedEnd = "</seed:tool_call>";

    /// <summary>The call of a Qwen3-Coder block's body, or null when it is malformed.</summary>
    public static List<ParsedCall>? ReadQwen3Coder(string body, IReadOnlyList<ToolDefinition>? tools)
    {
        var r = new Reader(body);
        if (!r.Expect("<function=") || r.Until(">") is not { } rawName || CallText.Name(rawName) is not { } name) return null;
        var arguments = new JsonObject();
        while (!r.AtEnd && !r.Expect("</function>"))
        {
            if (!r.Expect("<parameter=") || r.Until(">") is not { } key || r.Until("</parameter>") is not { } value) return null;
            arguments[key.Trim()] = Value(Unwrap(value), name, key.Trim(), tools);
        }
        return r.AtEnd ? [new ParsedCall(name, CallText.Json(arguments))] : null;
    }

    /// <summary>The calls of a MiniMax-M2 block's body, or null when it is malformed.</summary>
    public static List<ParsedCall>? ReadMiniMax(string body, IReadOnlyList<ToolDefinition>? tools)
    {
        var r = new Reader(body);
        var calls = new List<ParsedCall>();
        while (!r.AtEnd)
        {
            if (!r.Expect("<invoke name=\"") || r.Until("\">") is not { } rawName || CallText.Name(rawName) is not { } name) return null;
            var arguments = new JsonObject();
            while (!r.Expect("</invoke>"))
            {
                if (!r.Expect("<parameter name=\"") || r.Until("\">") is not { } key || r.Until("</parameter>") is not { } value) return null;
                arguments[key.Trim()] = Value(Unwrap(value), name, key.Trim(), tools);
            }
            calls.Add(new ParsedCall(name, CallText.Json(arguments)));
        }
        return calls.Count > 0 ? calls : null;
    }

    /// <summary>The call of a GLM-4.5 block's body, or null when it is malformed.</summary>
    public static List<ParsedCall>? ReadGlm(string body, IReadOnlyList<ToolDefinition>? tools)
    {
        var first = body.IndexOf("<arg_key>", StringComparison.Ordinal);
        if (CallText.Name(first < 0 ? body : body[..first]) is not { } name) return null;
        var r = new Reader(first < 0 ? "" : body[first..]);
        var arguments = new JsonObject();
        while (!r.AtEnd)
        {
            if (!r.Expect("<arg_key>") || r.Until("</arg_key>") is not { } key || !r.Expect("<arg_value>") || r.Until("</arg_value>") is not { } value)
                return null;
            arguments[key.Trim()] = Value(value, name, key.Trim(), tools);
        }
        return [new ParsedCall(name, CallText.Json(arguments))];
    }

    // Qwen3-Coder writes a newline after the opening tag and before the closing one (MiniMax-M2 may).
    private static string Unwrap(string value)
    {
        if (value.StartsWith('\n')) value = value[1..];
        if (value.EndsWith('\n')) value = value[..^1];
        return value;
    }

    private static JsonNode? Value(string text, string function, string parameter, IReadOnlyList<ToolDefinition>? tools)
    {
        if (DeclaresString(tools?.FirstOrDefault(t => t.Name == function)?.Parameters, parameter)) return JsonValue.Create(text);
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return PythonCalls.TryLiteral(text, out var literal) ? literal : JsonValue.Create(text);
        }
    }

    private static bool DeclaresString(JsonElement? schema, string parameter)
    {
        if (schema is not { ValueKind: JsonValueKind.Object } s || !s.TryGetProperty("properties", out var properties)
            || properties.ValueKind != JsonValueKind.Object || !properties.TryGetProperty(parameter, out var property)
            || property.ValueKind != JsonValueKind.Object || !property.TryGetProperty("type", out var type)) return false;
        return type.ValueKind == JsonValueKind.String ? type.GetString() == "string"
            : type.ValueKind == JsonValueKind.Array && type.EnumerateArray().Any(t => t.ValueKind == JsonValueKind.String && t.GetString() == "string");
    }

    // Walks a body: whitespace between tags is skipped, text inside them is taken as it is.
    private sealed class Reader(string text)
    {
        private int _pos;

        public bool AtEnd => JsonValueScanner.SkipWhitespace(text, _pos) >= text.Length;

        public bool Expect(string tag)
        {
            var i = JsonValueScanner.SkipWhitespace(text, _pos);
            if (string.CompareOrdinal(text, i, tag, 0, tag.Length) != 0) return false;
            _pos = i + tag.Length;
            return true;
        }

        public string? Until(string tag)
        {
            var i = text.IndexOf(tag, _pos, StringComparison.Ordinal);
            if (i < 0) return null;
            var taken = text[_pos..i];
            _pos = i + tag.Length;
            return taken;
        }

    }
}
