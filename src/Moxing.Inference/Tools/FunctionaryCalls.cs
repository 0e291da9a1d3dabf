namespace Moxing.Inference.Tools;

/// <summary>
/// Functionary v3.2's messages: <c>&gt;&gt;&gt;RECIPIENT\n</c> then the body — for <c>all</c> the answer (content, up to the next
/// &gt;&gt;&gt;), for a function's name its JSON arguments. A block is the header, plus the arguments for a call.
/// </summary>
internal static class FunctionaryCalls
{
    /// <summary>Opens a message.</summary>
    public const string Start = ">>>";

    private const string Answer = "all";

    /// <summary>The index just past the block whose header starts at <paramref name="from"/>, or -1 while it is not complete. A
    /// header that names no function ends the block where it ends (the block then reads as malformed, so stays text).</summary>
    public static int Extent(string text, int from)
    {
        var newline = text.IndexOf('\n', from);
        var next = text.IndexOf(Start, from, StringComparison.Ordinal);
        if (next >= 0 && (newline < 0 || next < newline)) return next;
        if (newline < 0) return -1;
        var recipient = text[from..newline];
        if (recipient.Trim() == Answer) return newline + 1;
        return CallText.Name(recipient) is null ? newline : JsonValueScanner.End(text, newline + 1);
    }

    /// <summary>No call for the answer's header, the call for a function's; null when it is malformed.</summary>
    public static List<ParsedCall>? Read(string body, IReadOnlyList<ToolDefinition>? tools)
    {
        var newline = body.IndexOf('\n');
        var recipient = newline < 0 ? body : body[..newline];
        if (recipient.Trim() == Answer) return [];
        if (newline < 0 || CallText.Name(recipient) is not { } name || CallText.JsonObject(body[(newline + 1)..]) is not { } arguments) return null;
        return [new ParsedCall(name, arguments)];
    }
}
