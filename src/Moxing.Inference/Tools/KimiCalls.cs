namespace Moxing.Inference.Tools;

/// <summary>
/// Kimi-K2's call blocks: &lt;|tool_calls_section_begin|&gt; then per call
/// &lt;|tool_call_begin|&gt;functions.NAME:INDEX&lt;|tool_call_argument_begin|&gt;{…}&lt;|tool_call_end|&gt;, then
/// &lt;|tool_calls_section_end|&gt;.
/// </summary>
internal static class KimiCalls
{
    /// <summary>Opens the calls.</summary>
    public const string SectionBegin = "<|tool_calls_section_begin|>";
    /// <summary>Closes the calls.</summary>
    public const string SectionEnd = "<|tool_calls_section_end|>";
    /// <summary>Opens one call.</summary>
    public const string CallBegin = "<|tool_call_begin|>";
    /// <summary>Separates a call's id from its arguments.</summary>
    public const string ArgumentBegin = "<|tool_call_argument_begin|>";
    /// <summary>Closes one call.</summary>
    public const string CallEnd = "<|tool_call_end|>";

    private const string Namespace = "functions.";

    /// <summary>The calls of a block's body, or null when it is malformed.</summary>
    public static List<ParsedCall>? Read(string body, IReadOnlyList<ToolDefinition>? tools) => CallText.Calls(body, CallBegin, CallEnd, One);

    private static ParsedCall? One(string segment)
    {
        var sep = segment.IndexOf(ArgumentBegin, StringComparison.Ordinal);
        if (sep < 0) return null;
        // The id is functions.NAME:INDEX; the index counts the calls and is not part of the name.
        var id = segment[..sep].Trim();
        var colon = id.LastIndexOf(':');
        if (colon >= 0 && int.TryParse(id.AsSpan(colon + 1), out _)) id = id[..colon];
        if (id.StartsWith(Namespace, StringComparison.Ordinal)) id = id[Namespace.Length..];
        var name = CallText.Name(id);
        var arguments = CallText.JsonObject(segment[(sep + ArgumentBegin.Length)..]);
        return name is null || arguments is null ? null : new ParsedCall(name, arguments);
    }
}
