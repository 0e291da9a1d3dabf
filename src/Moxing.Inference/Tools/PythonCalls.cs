using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Moxing.Inference.Tools;

/// <summary>
/// Calls written in Python syntax, a list <c>[name(arg=value, …), …]</c>: LFM2's between &lt;|tool_call_start|&gt; and
/// &lt;|tool_call_end|&gt;, the pythonic Llama templates' as the whole reply. Values are Python literals — strings in either
/// quote, numbers, True/False/None (and JSON's true/false/null, which LFM2 also writes), lists, tuples and dicts — turned into
/// the JSON values they denote; a positional argument, an expression or a variable makes the list malformed.
/// </summary>
internal static class PythonCalls
{
    /// <summary>LFM2's opener.</summary>
    public const string Lfm2Start = "<|tool_call_start|>";
    /// <summary>LFM2's closer.</summary>
    public const string Lfm2End = "<|tool_call_end|>";
    /// <summary>The pythonic formats' opener: the list's bracket.</summary>
    public const string ListStart = "[";

    /// <summary>The calls of a whole list (LFM2's block body), or null when it is malformed.</summary>
    public static List<ParsedCall>? ReadList(string body, IReadOnlyList<ToolDefinition>? tools)
    {
        var r = new Reader(body);
        return r.Take('[') ? r.Calls() : null;
    }

    /// <summary>The calls of a list whose opening bracket the block opener took (the pythonic reply), or null when it is malformed.</summary>
    public static List<ParsedCall>? ReadOpened(string body, IReadOnlyList<ToolDefinition>? tools) => new Reader(body).Calls();

    /// <summary>The index just past the bracket that closes a list opened before <paramref name="from"/>, or -1 while it is not
    /// complete; brackets inside string literals do not count.</summary>
    public static int Extent(string text, int from)
    {
        var depth = 1;
        for (var i = from; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '\'' or '"')
            {
                i = StringEnd(text, i);
                if (i < 0) return -1;
            }
            else if (c is '[' or '(' or '{') depth++;
            else if (c is ']' or ')' or '}' && --depth == 0) return i + 1;
        }
        return -1;
    }

    /// <summary>The JSON value of <paramref name="text"/> when all of it is one Python literal.</summary>
    public static bool TryLiteral(string text, out JsonNode? value)
    {
        var r = new Reader(text);
        value = null;
        return r.Value(out value) && r.AtEnd;
    }

    // The index of the quote that closes the string opened at `at`, or -1 when it is not closed yet.
    private static int StringEnd(string text, int at)
    {
        for (var i = at + 1; i < text.Length; i++)
        {
            if (text[i] == '\\') i++;
            else if (text[i] == text[at]) return i;
        }
        return -1;
    }

    private sealed class Reader(string text)
    {
        private int _pos;

        public bool AtEnd => Skip() >= text.Length;

        public bool Take(char c)
        {
            if (Skip() >= text.Length || text[_pos] != c) return false;
            _pos++;
            return true;
        }

        // name(arg=value, …), … up to the list's closing bracket and the end of the text
        public List<ParsedCall>? Calls()
        {
            var calls = new List<ParsedCall>();
            if (Take(']')) return null;
            do
            {
                if (Call() is not { } call) return null;
                calls.Add(call);
            }
            while (Take(','));
            return Take(']') && AtEnd ? calls : null;
        }

        private ParsedCall? Call()
        {
            if (CallText.Name(Identifier(dotted: true)) is not { } name || !Take('(')) return null;
            var arguments = new JsonObject();
            while (!Take(')'))
            {
                if (arguments.Count > 0 && !Take(',')) return null;
                if (Take(')')) break;
                var key = Identifier(dotted: false);
                if (key.Length == 0 || !Take('=') || !Value(out var value)) return null;
                arguments[key] = value;
            }
            return new ParsedCall(name, CallText.Json(arguments));
        }

        public bool Value(out JsonNode? value)
        {
            value = null;
            if (Skip() >= text.Length) return false;
            switch (text[_pos])
            {
                case '\'' or '"':
                    if (String() is not { } s) return false;
                    value = JsonValue.Create(s);
                    return true;
                case '[' or '(':
                    return Sequence(out value);
                case '{':
                    return Dict(out value);
            }
            if (char.IsAsciiDigit(text[_pos]) || text[_pos] is '-' or '+' or '.') return Number(out value);
            switch (Identifier(dotted: false))
            {
                case "True" or "true": value = JsonValue.Create(true); return true;
                case "False" or "false": value = JsonValue.Create(false); return true;
                case "None" or "null": return true;
                default: return false;
            }
        }

        private bool Sequence(out JsonNode? value)
        {
            var close = text[_pos++] == '[' ? ']' : ')';
            var list = new JsonArray();
            value = list;
            while (!Take(close))
            {
                if (list.Count > 0 && !Take(',')) return false;
                if (Take(close)) break;
                if (!Value(out var item)) return false;
                list.Add(item);
            }
            return true;
        }

        private bool Dict(out JsonNode? value)
        {
            _pos++;
            var dict = new JsonObject();
            value = dict;
            while (!Take('}'))
            {
                if (dict.Count > 0 && !Take(',')) return false;
                if (Take('}')) break;
                if (!Value(out var key) || key is not JsonValue k || !Take(':') || !Value(out var item)) return false;
                dict[k.GetValueKind() == JsonValueKind.String ? k.GetValue<string>() : k.ToJsonString()] = item;
            }
            return true;
        }

        private bool Number(out JsonNode? value)
        {
            value = null;
            var start = _pos;
            if (text[_pos] is '-' or '+') _pos++;
            while (_pos < text.Length && (char.IsAsciiDigit(text[_pos]) || text[_pos] is '.' or 'e' or 'E' or '_'
                || (text[_pos] is '-' or '+' && text[_pos - 1] is 'e' or 'E'))) _pos++;
            var token = text[start.._pos].Replace("_", "", StringComparison.Ordinal).TrimStart('+');
            var isFloat = token.Any(c => c is '.' or 'e' or 'E');
            if (!isFloat && long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole)
                && (token.TrimStart('-') == "0" || !token.TrimStart('-').StartsWith('0')))
                value = JsonValue.Create(whole);
            else if (isFloat && double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && double.IsFinite(real))
                value = JsonValue.Create(real);
            return value is not null;
        }

        // A quoted literal with Python's escapes; null when it is not closed.
        private string? String()
        {
            var end = StringEnd(text, _pos);
            if (end < 0) return null;
            var s = new StringBuilder();
            for (var i = _pos + 1; i < end; i++)
            {
                if (text[i] != '\\')
                {
                    s.Append(text[i]);
                    continue;
                }
                var e = text[++i];
                switch (e)
                {
                    case 'n': s.Append('\n'); break;
                    case 't': s.Append('\t'); break;
                    case 'r': s.Append('\r'); break;
                    case '0': s.Append('\0'); break;
                    case 'x' or 'u' when Hex(i + 1, e == 'x' ? 2 : 4, end) is { } code:
                        s.Append((char)code);
                        i += e == 'x' ? 2 : 4;
                        break;
                    case '\\' or '\'' or '"': s.Append(e); break;
                    // an unknown escape keeps its backslash, as Python does
                    default: s.Append('\\').Append(e); break;
                }
            }
            _pos = end + 1;
            return s.ToString();
        }

        private int? Hex(int at, int digits, int end) =>
            at + digits <= end && int.TryParse(text.AsSpan(at, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code) ? code : null;

        private string Identifier(bool dotted)
        {
            var start = Skip();
            while (_pos < text.Length && (char.IsLetterOrDigit(text[_pos]) || text[_pos] == '_' || (text[_pos] is '-' or '.' && dotted))) _pos++;
            return text[start.._pos];
        }

        private int Skip() => _pos = JsonValueScanner.SkipWhitespace(text, _pos);
    }
}
