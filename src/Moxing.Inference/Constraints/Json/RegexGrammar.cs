using System.Globalization;
using Moxing.Inference.Constraints.Grammar;

namespace Moxing.Inference.Constraints.Json;

/// <summary>
/// Compiles the regular subset of ECMA-262 patterns (literals, classes, \d \w \s, ., groups, alternation, greedy or
/// lazy quantifiers, ^ and $ at the ends) into a grammar over JSON string content: every character is matched in
/// its JSON-escaped spelling. Unanchored ends match any text there, as JSON Schema's search semantics demand.
/// Lookaround, backreferences, word boundaries and Unicode properties throw <see cref="UnsupportedSchemaException"/>.
/// </summary>
internal sealed class RegexGrammar(GrammarBuilder builder, Symbol anyChar, string path)
{
    private const int MaxRepeat = 1000;
    private const int MaxCodePoint = 0x10FFFF;
    private static readonly (int, int)[] Digits = [('0', '9')];
    private static readonly (int, int)[] Word = [('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')];
    private static readonly (int, int)[] Space =
        [(0x09, 0x0D), (0x20, 0x20), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A), (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000), (0xFEFF, 0xFEFF)];
    private static readonly (int, int)[] LineTerminators = [(0x0A, 0x0A), (0x0D, 0x0D), (0x2028, 0x2029)];

    private string _pattern = "";
    private int _pos;

    /// <summary>The grammar of the string contents the pattern accepts.</summary>
    public Symbol Compile(string pattern)
    {
        _pattern = pattern;
        _pos = 0;
        var branches = new List<Symbol>();
        while (true)
        {
            var anchoredStart = Eat('^');
            var body = Sequence(topLevel: true, out var anchoredEnd);
            var anything = builder.Repeat(anyChar, 0, -1);
            branches.Add(builder.Sequence(anchoredStart ? builder.Empty : anything, body, anchoredEnd ? builder.Empty : anything));
            if (_pos >= _pattern.Length) break;
            if (!Eat('|')) throw Unsupported($"unbalanced ')' at {_pos}");
        }
        return branches.Count == 1 ? branches[0] : builder.Choice(branches);
    }

    private UnsupportedSchemaException Unsupported(string why) => new("pattern", path, $"'{_pattern}': {why}");

    private bool Eat(char c)
    {
        if (_pos < _pattern.Length && _pattern[_pos] == c)
        {
            _pos++;
            return true;
        }
        return false;
    }

    private Symbol Alternation()
    {
        var options = new List<Symbol> { Sequence(topLevel: false, out _) };
        while (Eat('|')) options.Add(Sequence(topLevel: false, out _));
        return options.Count == 1 ? options[0] : builder.Choice(options);
    }

    private Symbol Sequence(bool topLevel, out bool anchoredEnd)
    {
        anchoredEnd = false;
        var items = new List<Symbol>();
        while (_pos < _pattern.Length && _pattern[_pos] is not ('|' or ')'))
        {
            if (_pattern[_pos] == '$')
            {
                _pos++;
                if (!topLevel || (_pos < _pattern.Length && _pattern[_pos] != '|')) throw Unsupported("'$' is only supported at the end");
                anchoredEnd = true;
                break;
            }
            if (_pattern[_pos] == '^') throw Unsupported("'^' is only supported at the start");
            items.Add(Quantified(Atom()));
        }
        return builder.Sequence([.. items]);
    }

    private Symbol Quantified(Symbol atom)
    {
        if (_pos >= _pattern.Length) return atom;
        int min, max;
        switch (_pattern[_pos])
        {
            case '*': (min, max) = (0, -1); _pos++; break;
            case '+': (min, max) = (1, -1); _pos++; break;
            case '?': (min, max) = (0, 1); _pos++; break;
            case '{' when TryBraces(out min, out max): break;
            default: return atom;
        }
        Eat('?'); // a lazy quantifier matches the same strings
        if (min > MaxRepeat || max > MaxRepeat) throw Unsupported($"repetition counts above {MaxRepeat} are not supported");
        if (max >= 0 && max < min) throw Unsupported("a repetition's maximum is below its minimum");
        return builder.Repeat(atom, min, max);
    }

    private bool TryBraces(out int min, out int max)
    {
        min = max = 0;
        var close = _pattern.IndexOf('}', _pos);
        if (close < 0) return false;
        var body = _pattern[(_pos + 1)..close];
        var comma = body.IndexOf(',');
        var ok = comma < 0
            ? int.TryParse(body, NumberStyles.None, CultureInfo.InvariantCulture, out min) && (max = min) == min
            : int.TryParse(body[..comma], NumberStyles.None, CultureInfo.InvariantCulture, out min)
              && (comma == body.Length - 1 ? (max = -1) == -1 : int.TryParse(body[(comma + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out max));
        if (ok) _pos = close + 1;
        return ok;
    }

    private Symbol Atom()
    {
        var c = _pattern[_pos++];
        switch (c)
        {
            case '(':
                if (Eat('?'))
                {
                    if (Eat(':')) { }
                    else if (Eat('<') && _pos < _pattern.Length && _pattern[_pos] is not ('=' or '!'))
                    {
                        var end = _pattern.IndexOf('>', _pos);
                        if (end < 0) throw Unsupported("unterminated group name");
                        _pos = end + 1;
                    }
                    else throw Unsupported("lookaround groups are not supported");
                }
                var inner = Alternation();
                if (!Eat(')')) throw Unsupported("missing ')'");
                return inner;
            case '[':
                return Chars(Class());
            case '.':
                return Chars(Complement(LineTerminators));
            case '\\':
                return Chars(Escape(inClass: false));
            case '*' or '+' or '?' or '{':
                if (c == '{' && !_pattern.AsSpan(_pos).Contains('}')) return Chars([(c, c)]);
                throw Unsupported($"nothing to repeat at {_pos - 1}");
            default:
                var cp = char.IsHighSurrogate(c) && _pos < _pattern.Length ? char.ConvertToUtf32(c, _pattern[_pos++]) : c;
                return Chars([(cp, cp)]);
        }
    }

    private List<(int, int)> Class()
    {
        var negated = Eat('^');
        var ranges = new List<(int, int)>();
        while (_pos < _pattern.Length && _pattern[_pos] != ']')
        {
            var lo = ClassAtom(ranges);
            if (lo < 0) continue;
            if (_pos + 1 < _pattern.Length && _pattern[_pos] == '-' && _pattern[_pos + 1] != ']')
            {
                _pos++;
                var hi = ClassAtom(ranges);
                if (hi < 0) throw Unsupported("a class escape cannot end a range");
                if (hi < lo) throw Unsupported("a character range is out of order");
                ranges.Add((lo, hi));
            }
            else ranges.Add((lo, lo));
        }
        if (!Eat(']')) throw Unsupported("missing ']'");
        return negated ? Complement(ranges) : ranges;
    }

    // One class member: returns its code point, or -1 after adding a class escape's ranges (\d, \w, \s…) itself.
    private int ClassAtom(List<(int, int)> ranges)
    {
        var c = _pattern[_pos++];
        if (c != '\\') return char.IsHighSurrogate(c) && _pos < _pattern.Length ? char.ConvertToUtf32(c, _pattern[_pos++]) : c;
        var set = Escape(inClass: true);
        if (set.Count == 1 && set[0].Item1 == set[0].Item2 && !IsClassEscape(_pattern[_pos - 1])) return set[0].Item1;
        ranges.AddRange(set);
        return -1;
    }

    private static bool IsClassEscape(char c) => c is 'd' or 'D' or 'w' or 'W' or 's' or 'S';

    private List<(int, int)> Escape(bool inClass)
    {
        if (_pos >= _pattern.Length) throw Unsupported("trailing backslash");
        var c = _pattern[_pos++];
        switch (c)
        {
            case 'd': return [.. Digits];
            case 'D': return Complement(Digits);
            case 'w': return [.. Word];
            case 'W': return Complement(Word);
            case 's': return [.. Space];
            case 'S': return Complement(Space);
            case 'n': return [(0x0A, 0x0A)];
            case 'r': return [(0x0D, 0x0D)];
            case 't': return [(0x09, 0x09)];
            case 'f': return [(0x0C, 0x0C)];
            case 'v': return [(0x0B, 0x0B)];
            case '0': return [(0, 0)];
            case 'b' when inClass: return [(0x08, 0x08)];
            case 'x': return [Hex(2)];
            case 'u': return [Hex(4)];
            default:
                if (char.IsAsciiLetterOrDigit(c)) throw Unsupported($"the escape \\{c} is not supported");
                return [(c, c)];
        }
    }

    private (int, int) Hex(int digits)
    {
        if (_pos + digits > _pattern.Length || !int.TryParse(_pattern.AsSpan(_pos, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v))
            throw Unsupported("bad hexadecimal escape");
        _pos += digits;
        return (v, v);
    }

    private static List<(int, int)> Complement(IEnumerable<(int, int)> ranges)
    {
        var sorted = new List<(int Lo, int Hi)>(ranges);
        sorted.Sort();
        var result = new List<(int, int)>();
        var next = 0;
        foreach (var (lo, hi) in sorted)
        {
            if (lo > next) result.Add((next, lo - 1));
            next = Math.Max(next, hi + 1);
        }
        if (next <= MaxCodePoint) result.Add((next, MaxCodePoint));
        return result;
    }

    // One character from the set, as JSON string content spells it: quote, backslash and controls escaped.
    private Symbol Chars(List<(int Lo, int Hi)> ranges)
    {
        var options = new List<Symbol>();
        var plain = new List<(int, int)>();
        foreach (var (lo, hi) in ranges)
        {
            for (var cp = lo; cp <= Math.Min(hi, 0x1F); cp++) options.Add(builder.Literal(ControlEscape(cp)));
            foreach (var special in (ReadOnlySpan<int>)['"', '\\'])
                if (lo <= special && special <= hi) options.Add(builder.Literal(special == '"' ? "\\\"" : "\\\\"));
            var from = Math.Max(lo, 0x20);
            foreach (var (a, b) in (ReadOnlySpan<(int, int)>)[(from, Math.Min(hi, '"' - 1)), (Math.Max(from, '"' + 1), Math.Min(hi, '\\' - 1)), (Math.Max(from, '\\' + 1), hi)])
                if (a <= b) plain.Add((a, b));
        }
        if (plain.Count > 0) options.Add(Utf8Ranges.Symbol(builder, plain));
        if (options.Count == 0) throw Unsupported("a character class matches nothing");
        return options.Count == 1 ? options[0] : builder.Choice(options);
    }

    private static string ControlEscape(int cp) => cp switch
    {
        0x08 => "\\b",
        0x09 => "\\t",
        0x0A => "\\n",
        0x0C => "\\f",
        0x0D => "\\r",
        _ => $"\\u{cp:x4}",
    };
}
