using System.Text.Json;

namespace Moxing.Inference.Tools;

/// <summary>
/// The formats that write their calls as one JSON list after a marker: Granite 3.x (<c>&lt;|tool_call|&gt;[{"name":…,"arguments":{…}}]</c>)
/// and Command-R7B (<c>&lt;|START_ACTION|&gt;[{"tool_call_id":"0","tool_name":…,"parameters":{…}}]&lt;|END_ACTION|&gt;</c>).
/// </summary>
internal static class JsonListCalls
{
    /// <summary>Granite's opener.</summary>
    public const string GraniteStart = "<|tool_call|>";
    /// <summary>Command-R7B's opener.</summary>
    public const string ActionStart = "<|START_ACTION|>";
    /// <summary>Command-R7B's closer.</summary>
    public const string ActionEnd = "<|END_ACTION|>";

    /// <summary>Granite's calls, or null when the list is malformed.</summary>
    public static List<ParsedCall>? ReadGranite(string body, IReadOnlyList<ToolDefinition>? tools) => Read(body, "name", "arguments");

    /// <summary>Command-R7B's calls, or null when the list is malformed.</summary>
    public static List<ParsedCall>? ReadCommandR(string body, IReadOnlyList<ToolDefinition>? tools) => Read(body, "tool_name", "parameters");

    private static List<ParsedCall>? Read(string body, string nameKey, string argumentsKey)
    {
        try
        {
            using var doc = JsonDocument.Parse(body.Trim());
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Array) return null;
            var calls = new List<ParsedCall>();
            foreach (var item in root.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty(nameKey, out var name) || name.ValueKind != JsonValueKind.String
                    || CallText.Name(name.GetString()!) is not { } function) return null;
                var arguments = item.TryGetProperty(argumentsKey, out var a) ? a : default;
                if (arguments.ValueKind is not (JsonValueKind.Object or JsonValueKind.Undefined)) return null;
                calls.Add(new ParsedCall(function, arguments.ValueKind == JsonValueKind.Object ? arguments.GetRawText() : "{}"));
            }
            return calls.Count > 0 ? calls : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
