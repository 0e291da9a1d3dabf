using System.Text.Json;

namespace Moxing.Inference.Tools;

/// <summary>
/// The formats that write their calls as one JSON list after a marker: Granite 3.x (<c>&lt;|tool_call|&gt;[{"name":…,"arguments":{…}}]</c>;
/// Phi-4-mini closes it with &lt;|/tool_call|&gt;), Command-R7B
/// (<c>&lt;|START_ACTION|&gt;[{"tool_call_id":"0","tool_name":…,"parameters":{…}}]&lt;|END_ACTION|&gt;</c>), Nemotron Nano v2
/// (<c>&lt;TOOLCALL&gt;[{"name":…,"arguments":{…}}]&lt;/TOOLCALL&gt;</c>) and Apertus (<c>&lt;|tools_prefix|&gt;[{"NAME": {…}}]&lt;|tools_suffix|&gt;</c>).
/// </summary>
internal static class JsonListCalls
{
    /// <summary>Granite's (and Phi-4-mini's) opener.</summary>
    public const string GraniteStart = "<|tool_call|>";
    /// <summary>Phi-4-mini's closer.</summary>
    public const string Phi4End = "<|/tool_call|>";
    /// <summary>Command-R7B's opener.</summary>
    public const string ActionStart = "<|START_ACTION|>";
    /// <summary>Command-R7B's closer.</summary>
    public const string ActionEnd = "<|END_ACTION|>";
    /// <summary>Nemotron Nano v2's opener.</summary>
    public const string NemotronStart = "<TOOLCALL>";
    /// <summary>Nemotron Nano v2's closer.</summary>
    public const string NemotronEnd = "</TOOLCALL>";
    /// <summary>Apertus' opener.</summary>
    public const string ApertusStart = "<|tools_prefix|>";
    /// <summary>Apertus' closer.</summary>
    public const string ApertusEnd = "<|tools_suffix|>";

    /// <summary>Granite's and Nemotron's calls, or null when the list is malformed.</summary>
    public static List<ParsedCall>? ReadNamed(string body, IReadOnlyList<ToolDefinition>? tools) => Read(body, item => Keyed(item, "name", "arguments"));

    /// <summary>Command-R7B's calls, or null when the list is malformed.</summary>
    public static List<ParsedCall>? ReadCommandR(string body, IReadOnlyList<ToolDefinition>? tools) => Read(body, item => Keyed(item, "tool_name", "parameters"));

    /// <summary>Apertus' calls, each an object whose one key is the function's name and whose value its arguments; null when malformed.</summary>
    public static List<ParsedCall>? ReadApertus(string body, IReadOnlyList<ToolDefinition>? tools) => Read(body, item =>
    {
        if (item.ValueKind != JsonValueKind.Object || item.EnumerateObject().ToList() is not [var only] || CallText.Name(only.Name) is not { } name
            || Arguments(only.Value) is not { } arguments) return null;
        return new ParsedCall(name, arguments);
    });

    /// <summary>The index just past a Granite list that starts at <paramref name="from"/>, and past Phi-4-mini's closer when it follows;
    /// -1 while the list is not complete.</summary>
    public static int GraniteExtent(string text, int from)
    {
        var end = JsonValueScanner.End(text, from);
        if (end < 0) return -1;
        var close = JsonValueScanner.SkipWhitespace(text, end);
        if (string.CompareOrdinal(text, close, Phi4End, 0, Phi4End.Length) == 0) return close + Phi4End.Length;
        // the closer may still be arriving
        return Phi4End.StartsWith(text[close..], StringComparison.Ordinal) ? -1 : end;
    }

    /// <summary>A Granite block's calls, Phi-4-mini's closer left off.</summary>
    public static List<ParsedCall>? ReadGranite(string body, IReadOnlyList<ToolDefinition>? tools)
    {
        body = body.TrimEnd();
        return ReadNamed(body.EndsWith(Phi4End, StringComparison.Ordinal) ? body[..^Phi4End.Length] : body, tools);
    }

    private static List<ParsedCall>? Read(string body, Func<JsonElement, ParsedCall?> item)
    {
        try
        {
            using var doc = JsonDocument.Parse(body.Trim());
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Array) return null;
            var calls = new List<ParsedCall>();
            foreach (var element in root.EnumerateArray())
            {
                if (item(element) is not { } call) return null;
                calls.Add(call);
            }
            return calls.Count > 0 ? calls : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // {"NAMEKEY": "…", "ARGUMENTSKEY": {…}}, the arguments optional
    private static ParsedCall? Keyed(JsonElement item, string nameKey, string argumentsKey)
    {
        if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty(nameKey, out var name) || name.ValueKind != JsonValueKind.String
            || CallText.Name(name.GetString()!) is not { } function) return null;
        if (!item.TryGetProperty(argumentsKey, out var a)) return new ParsedCall(function, "{}");
        return Arguments(a) is { } arguments ? new ParsedCall(function, arguments) : null;
    }

    // An arguments object, or a string holding one (as OpenAI's API writes arguments and Nemotron's template shows them).
    private static string? Arguments(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => value.GetRawText(),
        JsonValueKind.String => CallText.JsonObject(value.GetString()!),
        _ => null,
    };
}
