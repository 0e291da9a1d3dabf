using System.Text.Json;
using System.Text.Json.Nodes;

namespace Moxing.Inference.Tools;

/// <summary>One call read from a block: the function name and its arguments as JSON text.</summary>
internal readonly record struct ParsedCall(string Name, string Arguments);

/// <summary>
/// A format whose calls come as whole blocks of markup (all but Hermes, Llama 3 JSON, Mistral and harmony): the marker that
/// opens a block, what closes it (a marker, else <paramref name="extent"/> or the end of the JSON value after the opener),
/// and how the text between reads as calls. A block that does not read is left as content. An <paramref name="anchored"/>
/// block counts only as the start of the reply (the pythonic list); elsewhere its opener is plain text.
/// </summary>
internal sealed class ToolCallBlock(string start, string? end, Func<string, IReadOnlyList<ToolDefinition>?, List<ParsedCall>?> read,
    Func<string, int, int>? extent = null, bool anchored = false)
{
    /// <summary>The marker that opens a block.</summary>
    public string Start => start;

    /// <summary>Whether a block may only open the reply.</summary>
    public bool Anchored => anchored;

    /// <summary>The index just past the block whose opener is at <paramref name="at"/>, or -1 while it is not complete.</summary>
    public int End(string text, int at)
    {
        var from = at + Opener(text, at);
        if (end is null) return extent?.Invoke(text, from) ?? JsonValueScanner.End(text, from);
        var i = text.IndexOf(end, from, StringComparison.Ordinal);
        return i < 0 ? -1 : i + end.Length;
    }

    /// <summary>The calls of <paramref name="block"/> (opener included; its closer too when <paramref name="closed"/>), or null
    /// when it is malformed. <paramref name="tools"/> types the values of formats that write them as plain text.</summary>
    public List<ParsedCall>? Read(string block, bool closed, IReadOnlyList<ToolDefinition>? tools) =>
        read(block[Opener(block, 0)..(closed && end is not null ? block.Length - end.Length : block.Length)], tools);

    // The opener's length at `at`: 0 for a block the generation prompt opened (Functionary's reply starts inside one).
    private int Opener(string text, int at) => string.CompareOrdinal(text, at, start, 0, start.Length) == 0 ? start.Length : 0;

    /// <summary>The block syntax of <paramref name="format"/>, or null for the formats read as a stream of JSON.</summary>
    public static ToolCallBlock? For(ToolCallFormat format) => format switch
    {
        ToolCallFormat.DeepSeekR1 or ToolCallFormat.DeepSeekV31 => new(DeepSeekCalls.SectionBegin, DeepSeekCalls.SectionEnd, DeepSeekCalls.Read),
        ToolCallFormat.KimiK2 => new(KimiCalls.SectionBegin, KimiCalls.SectionEnd, KimiCalls.Read),
        ToolCallFormat.Qwen3CoderXml => new("<tool_call>", "</tool_call>", XmlCalls.ReadQwen3Coder),
        ToolCallFormat.Glm45 => new("<tool_call>", "</tool_call>", XmlCalls.ReadGlm),
        ToolCallFormat.Granite or ToolCallFormat.Phi4Mini => new(JsonListCalls.GraniteStart, null, JsonListCalls.ReadGranite, JsonListCalls.GraniteExtent),
        ToolCallFormat.NemotronV2 => new(JsonListCalls.NemotronStart, JsonListCalls.NemotronEnd, JsonListCalls.ReadNamed),
        ToolCallFormat.Apertus => new(JsonListCalls.ApertusStart, JsonListCalls.ApertusEnd, JsonListCalls.ReadApertus),
        ToolCallFormat.Lfm2 => new(PythonCalls.Lfm2Start, PythonCalls.Lfm2End, PythonCalls.ReadList),
        ToolCallFormat.Pythonic => new(PythonCalls.ListStart, null, PythonCalls.ReadOpened, PythonCalls.Extent, anchored: true),
        ToolCallFormat.MiniMaxM2 => new(XmlCalls.MiniMaxStart, XmlCalls.MiniMaxEnd, XmlCalls.ReadMiniMax),
        ToolCallFormat.SeedOss => new(XmlCalls.SeedStart, XmlCalls.SeedEnd, XmlCalls.ReadQwen3Coder),
        ToolCallFormat.CommandR7B => new(JsonListCalls.ActionStart, JsonListCalls.ActionEnd, JsonListCalls.ReadCommandR),
        ToolCallFormat.FunctionaryV32 => new(FunctionaryCalls.Start, null, FunctionaryCalls.Read, FunctionaryCalls.Extent),
        _ => null,
    };
}

/// <summary>Helpers shared by the block readers.</summary>
internal static class CallText
{
    /// <summary>The calls of the segments between <paramref name="begin"/> and <paramref name="end"/> markers (see
    /// <see cref="Segments"/>), each read by <paramref name="read"/>; null when any is malformed.</summary>
    public static List<ParsedCall>? Calls(string body, string begin, string end, Func<string, ParsedCall?> read)
    {
        if (Segments(body, begin, end) is not { } segments) return null;
        var calls = new List<ParsedCall>(segments.Count);
        foreach (var segment in segments)
        {
            if (read(segment) is not { } call) return null;
            calls.Add(call);
        }
        return calls;
    }

    /// <summary>The texts between each <paramref name="begin"/> and <paramref name="end"/> marker of <paramref name="body"/> (the
    /// last may lack its end); null when there are none or anything but whitespace lies outside them.</summary>
    public static List<string>? Segments(string body, string begin, string end)
    {
        var segments = new List<string>();
        var pos = 0;
        while (true)
        {
            var at = body.IndexOf(begin, pos, StringComparison.Ordinal);
            if (at < 0) return segments.Count > 0 && string.IsNullOrWhiteSpace(body[pos..]) ? segments : null;
            if (!string.IsNullOrWhiteSpace(body[pos..at])) return null;
            var from = at + begin.Length;
            var close = body.IndexOf(end, from, StringComparison.Ordinal);
            if (close < 0)
            {
                segments.Add(body[from..]);
                return segments;
            }
            segments.Add(body[from..close]);
            pos = close + end.Length;
        }
    }

    /// <summary><paramref name="text"/> trimmed when it is one JSON object, else null.</summary>
    public static string? JsonObject(string text)
    {
        text = text.Trim();
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? text : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A function name as the model wrote it, or null when it is empty or holds markup or whitespace.</summary>
    public static string? Name(string text)
    {
        text = text.Trim();
        return text.Length == 0 || text.Any(c => char.IsWhiteSpace(c) || c is '<' or '>' or '{' or '"') ? null : text;
    }

    /// <summary>Compact JSON with non-ASCII characters kept as they are.</summary>
    public static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Serializes <paramref name="arguments"/> compactly.</summary>
    public static string Json(JsonObject arguments) => arguments.ToJsonString(Compact);
}
