namespace Moxing.Inference.Tools;

/// <summary>
/// DeepSeek's call blocks: &lt;｜tool▁calls▁begin｜&gt; then per call &lt;｜tool▁call▁begin｜&gt;HEAD&lt;｜tool▁sep｜&gt;TAIL&lt;｜tool▁call▁end｜&gt;,
/// where V3/R1 write <c>function</c> as HEAD and NAME, a newline and a ```json fence around the arguments as TAIL, and V3.1
/// writes NAME as HEAD and the bare arguments as TAIL. Both are read whichever template taught them.
/// </summary>
internal static class DeepSeekCalls
{
    /// <summary>Opens the calls.</summary>
    public const string SectionBegin = "<｜tool▁calls▁begin｜>";
    /// <summary>Closes the calls.</summary>
    public const string SectionEnd = "<｜tool▁calls▁end｜>";
    /// <summary>Opens one call.</summary>
    public const string CallBegin = "<｜tool▁call▁begin｜>";
    /// <summary>Closes one call.</summary>
    public const string CallEnd = "<｜tool▁call▁end｜>";
    /// <summary>Separates a call's head from its tail.</summary>
    public const string Separator = "<｜tool▁sep｜>";

    /// <summary>The calls of a block's body, or null when it is malformed.</summary>
    public static List<ParsedCall>? Read(string body, IReadOnlyList<ToolDefinition>? tools) => CallText.Calls(body, CallBegin, CallEnd, One);

    private static ParsedCall? One(string segment)
    {
        var sep = segment.IndexOf(Separator, StringComparison.Ordinal);
        if (sep < 0) return null;
        var head = segment[..sep].Trim();
        var tail = segment[(sep + Separator.Length)..];
        string? name, arguments;
        if (head == "function")
        {
            var newline = tail.IndexOf('\n');
            if (newline < 0) return null;
            name = CallText.Name(tail[..newline]);
            arguments = CallText.JsonObject(Unfence(tail[(newline + 1)..]));
        }
        else
        {
            name = CallText.Name(head);
            arguments = CallText.JsonObject(tail);
        }
        return name is null || arguments is null ? null : new ParsedCall(name, arguments);
    }

    // The text inside a ```json … ``` fence (the fence is optional).
    private static string Unfence(string text)
    {
        text = text.Trim();
        if (text.StartsWith("```json", StringComparison.Ordinal)) text = text["```json".Length..];
        else if (text.StartsWith("```", StringComparison.Ordinal)) text = text[3..];
        if (text.EndsWith("```", StringComparison.Ordinal)) text = text[..^3];
        return text;
    }
}
