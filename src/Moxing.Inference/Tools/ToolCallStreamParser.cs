using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Moxing.Inference.Tools;

/// <summary>
/// Splits a model's streamed output into content and tool calls in OpenAI's streaming shape: content deltas, and per
/// call a first delta with id and name followed by fragments of the arguments' JSON as they arrive. Text that may be
/// the start of tool-call markup is held back until it is known, so markup never leaks into content. Formats that write
/// their calls as blocks of markup (<see cref="ToolCallBlock"/>) give each call whole once its block is complete;
/// <paramref name="tools"/>, when given, types the values of the formats that write arguments as plain text.
/// </summary>
public sealed partial class ToolCallStreamParser(ToolCallFormat format, IReadOnlyList<ToolDefinition>? tools = null)
{
    private const string HermesStart = "<tool_call>";
    private const string HermesEnd = "</tool_call>";
    private const string PythonTag = "<|python_tag|>";
    private const string MistralStart = "[TOOL_CALLS]";
    private const string MistralArgs = "[ARGS]";

    private readonly StringBuilder _text = new();
    private readonly List<ToolCallDelta> _out = [];
    private readonly ToolCallBlock? _block = ToolCallBlock.For(format);
    private string _buffer = "";
    private int _pos;
    private bool _inCall;
    private bool _inArray;
    private bool _emittedAnything;
    private int _calls;
    private int _argsStart = -1;
    private int _argsEmitted;
    private bool _argsOnly;
    // a call opened by PushCall, ended by the next call, text or the end of the stream
    private bool _structuredCall;

    /// <summary>The tool calls completed so far.</summary>
    public List<ToolCall> Calls { get; } = [];

    /// <summary>Adds generated text; returns the deltas it completes.</summary>
    public IReadOnlyList<ToolCallDelta> Push(string text)
    {
        _out.Clear();
        CloseStructuredCall();
        _text.Append(text);
        _buffer = _text.ToString();
        Advance(final: false);
        return [.. _out];
    }

    /// <summary>
    /// Adds a piece of a call that the reply's message structure delimits rather than its text (harmony's messages to
    /// <c>functions.NAME</c>): <paramref name="opens"/> starts a new call of <paramref name="name"/>, and
    /// <paramref name="arguments"/> is a piece of its arguments as the model wrote them.
    /// </summary>
    public IReadOnlyList<ToolCallDelta> PushCall(string name, string arguments, bool opens)
    {
        _out.Clear();
        if (opens || !_structuredCall)
        {
            CloseStructuredCall();
            BeginCall(name);
            _structuredCall = true;
        }
        EmitArgumentsText(arguments);
        return [.. _out];
    }

    /// <summary>Ends the stream: returns whatever was held back.</summary>
    public IReadOnlyList<ToolCallDelta> Finish()
    {
        _out.Clear();
        CloseStructuredCall();
        Advance(final: true);
        if (_inCall && _block is not null) ReadBlock(_buffer.Length, closed: false);
        else if (_inCall && _argsStart >= 0 && _argsEmitted < _buffer.Length) EmitArguments(_buffer.Length);
        else if (_pos < _buffer.Length && (Calls.Count == 0 || !string.IsNullOrWhiteSpace(_buffer[_pos..]))) EmitContent(_buffer[_pos..]);
        _pos = _buffer.Length;
        return [.. _out];
    }

    /// <summary>Parses a whole output at once: the content around the calls, and the calls.</summary>
    public static (string Content, List<ToolCall> Calls) Parse(ToolCallFormat format, string text, IReadOnlyList<ToolDefinition>? tools = null)
    {
        var parser = new ToolCallStreamParser(format, tools);
        var content = new StringBuilder();
        foreach (var d in parser.Push(text).Concat(parser.Finish()))
            if (d.IsContent) content.Append(d.Content);
        return (content.ToString(), parser.Calls);
    }

    private void Advance(bool final)
    {
        while (true)
        {
            var before = _pos;
            var wasInCall = _inCall;
            if (_inCall) AdvanceCall();
            else AdvanceContent(final);
            if (_pos == before && _inCall == wasInCall) return;
        }
    }

    private void AdvanceContent(bool final)
    {
        var (at, length) = FindStart();
        if (at >= 0)
        {
            var between = _buffer[_pos..at];
            if (Calls.Count == 0 || !string.IsNullOrWhiteSpace(between)) EmitContent(between);
            // a block is read whole, opener included, so that a malformed one goes out as the text it was
            _pos = _block is null ? at + length : at;
            _inCall = true;
            _inArray = false;
            return;
        }
        var safe = final ? _buffer.Length : _buffer.Length - HeldBack();
        // After a call, whitespace between calls is not content; hold it until something else shows up.
        if (Calls.Count > 0 && string.IsNullOrWhiteSpace(_buffer[_pos..safe])) return;
        EmitContent(_buffer[_pos..safe]);
        _pos = safe;
    }

    // The text that opens a call in the model's output; null when its calls are not in the text (harmony).
    private string? StartMarker => _block?.Start ?? format switch
    {
        ToolCallFormat.Hermes => HermesStart,
        ToolCallFormat.Mistral => MistralStart,
        ToolCallFormat.Llama3Json => PythonTag,
        _ => null,
    };

    // Where the next call starts in the unconsumed text, and the length of its marker.
    private (int At, int Length) FindStart()
    {
        if (StartMarker is not { } marker) return (-1, 0);
        // Functionary's generation prompt ends with the opener: the reply starts inside a block.
        if (format == ToolCallFormat.FunctionaryV32 && _pos == 0 && !_emittedAnything) return (0, 0);
        if (_block is { Anchored: true })
        {
            var first = JsonValueScanner.SkipWhitespace(_buffer, _pos);
            return !_emittedAnything && string.CompareOrdinal(_buffer, first, marker, 0, marker.Length) == 0 ? (first, marker.Length) : (-1, 0);
        }
        var at = _buffer.IndexOf(marker, _pos, StringComparison.Ordinal);
        if (at >= 0) return (at, marker.Length);
        if (format == ToolCallFormat.Llama3Json && !_emittedAnything)
        {
            // Llama writes a bare JSON call as its whole answer.
            var first = JsonValueScanner.SkipWhitespace(_buffer, _pos);
            if (first < _buffer.Length && _buffer[first] == '{') return (first, 0);
        }
        return (-1, 0);
    }

    // How many trailing chars could still become a start marker (or, for Llama, a leading JSON call).
    private int HeldBack()
    {
        if (StartMarker is not { } marker) return 0;
        if (format == ToolCallFormat.Llama3Json || _block is { Anchored: true })
        {
            // a reply that has only begun (whitespace so far) may still open with a call; elsewhere an anchored opener is text
            if (!_emittedAnything && string.IsNullOrWhiteSpace(_buffer[_pos..])) return _buffer.Length - _pos;
            if (_block is { Anchored: true }) return 0;
        }
        for (var n = Math.Min(marker.Length - 1, _buffer.Length - _pos); n > 0; n--)
            if (marker.AsSpan(0, n).SequenceEqual(_buffer.AsSpan(_buffer.Length - n))) return n;
        return 0;
    }

    private void AdvanceCall()
    {
        if (_block is not null)
        {
            if (_block.End(_buffer, _pos) is var end and >= 0) ReadBlock(end, closed: true);
            return;
        }
        if (_argsStart >= 0)
        {
            StreamArguments();
            return;
        }
        var i = JsonValueScanner.SkipWhitespace(_buffer, _pos);
        if (i >= _buffer.Length) return;
        var c = _buffer[i];
        if (format == ToolCallFormat.Mistral && c == '[' && !_inArray)
        {
            _inArray = true;
            _pos = i + 1;
            return;
        }
        if (_inArray && c == ',')
        {
            _pos = i + 1;
            return;
        }
        if (c == '{')
        {
            StartJsonCall(i);
            return;
        }
        if (format == ToolCallFormat.Mistral && !_inArray)
        {
            var args = _buffer.IndexOf(MistralArgs, i, StringComparison.Ordinal);
            if (args < 0) return;
            BeginCall(_buffer[i..args].Trim());
            _argsOnly = true;
            _argsStart = _argsEmitted = args + MistralArgs.Length;
            _pos = _argsStart;
            return;
        }
        EndCallRegion(i);
    }

    // Leaves the call region at i (the end marker, a closing bracket or text that is not a call).
    private void EndCallRegion(int i)
    {
        if (format == ToolCallFormat.Hermes)
        {
            if (_buffer.Length - i < HermesEnd.Length && HermesEnd.StartsWith(_buffer[i..], StringComparison.Ordinal)) return;
            if (string.CompareOrdinal(_buffer, i, HermesEnd, 0, HermesEnd.Length) == 0) i += HermesEnd.Length;
        }
        else if (_inArray && _buffer[i] == ']') i++;
        else if (format == ToolCallFormat.Llama3Json && _buffer[i] == ';')
        {
            _pos = i + 1;
            return;
        }
        _pos = i;
        _inCall = false;
        _inArray = false;
    }

    private void StartJsonCall(int i)
    {
        var header = CallHeader().Match(_buffer, i);
        if (header.Success)
        {
            BeginCall(JsonNode.Parse($"\"{header.Groups[1].Value}\"")!.GetValue<string>());
            _argsOnly = false;
            _argsStart = _argsEmitted = header.Index + header.Length;
            _pos = _argsStart;
            return;
        }
        var end = JsonValueScanner.End(_buffer, i);
        if (end < 0)
        {
            // The header may still be arriving; a finished object without it is read whole below.
            return;
        }
        try
        {
            using var doc = JsonDocument.Parse(_buffer[i..end]);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
            {
                var args = root.TryGetProperty("arguments", out var a) || root.TryGetProperty("parameters", out a) ? a.GetRawText() : "{}";
                BeginCall(n.GetString()!);
                EmitArgumentsText(args);
                FinishCall();
            }
            else EmitContent(_buffer[i..end]);
        }
        catch (JsonException)
        {
            EmitContent(_buffer[i..end]);
        }
        _pos = end;
    }

    private void StreamArguments()
    {
        if (_argsEmitted == _argsStart)
        {
            var first = JsonValueScanner.SkipWhitespace(_buffer, _argsStart);
            if (first >= _buffer.Length) return;
            _argsStart = _argsEmitted = first;
        }
        var end = JsonValueScanner.End(_buffer, _argsStart);
        if (end < 0)
        {
            EmitArguments(_buffer.Length);
            return;
        }
        EmitArguments(end);
        if (_argsOnly)
        {
            FinishCall();
            _pos = end;
            _inCall = false;
            return;
        }
        var close = JsonValueScanner.SkipWhitespace(_buffer, end);
        if (close >= _buffer.Length) return;
        FinishCall();
        _pos = _buffer[close] == '}' ? close + 1 : close;
    }

    // The block from _pos to end: its calls, or the text itself when it does not read as calls.
    private void ReadBlock(int end, bool closed)
    {
        var text = _buffer[_pos..end];
        if (_block!.Read(text, closed, tools) is { } calls)
        {
            foreach (var call in calls)
            {
                BeginCall(call.Name);
                EmitArgumentsText(call.Arguments);
                FinishCall();
            }
        }
        else EmitContent(text);
        _pos = end;
        _inCall = false;
    }

    private void CloseStructuredCall()
    {
        if (!_structuredCall) return;
        FinishCall();
        _structuredCall = false;
    }

    private void BeginCall(string name)
    {
        var id = "call_" + Guid.NewGuid().ToString("N")[..24];
        _out.Add(new ToolCallDelta(null, _calls, id, name));
        Calls.Add(new ToolCall(id, name, ""));
        _emittedAnything = true;
    }

    private void EmitArguments(int upTo)
    {
        if (upTo <= _argsEmitted) return;
        EmitArgumentsText(_buffer[_argsEmitted..upTo]);
        _argsEmitted = upTo;
    }

    private void EmitArgumentsText(string fragment)
    {
        if (fragment.Length == 0) return;
        _out.Add(new ToolCallDelta(null, _calls, Arguments: fragment));
        Calls[^1] = Calls[^1] with { Arguments = Calls[^1].Arguments + fragment };
    }

    private void FinishCall()
    {
        _calls++;
        _argsStart = -1;
    }

    private void EmitContent(string text)
    {
        if (text.Length == 0) return;
        _out.Add(new ToolCallDelta(text));
        _emittedAnything = true;
    }

    [GeneratedRegex("""\G\{\s*"name"\s*:\s*"((?:[^"\\]|\\.)*)"\s*,\s*"(?:arguments|parameters)"\s*:""")]
    private static partial Regex CallHeader();
}
