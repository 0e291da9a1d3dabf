using System.Globalization;
using System.Text;

namespace Moxing.Text.Templates.Runtime;

/// <summary>Python <c>str</c> methods that templates call (<c>strip</c>, <c>split</c>, <c>startswith</c>, <c>format</c>, …).</summary>
internal static class StringMethods
{
    private delegate Value Method(Renderer r, string self, Arguments args);

    /// <summary>Methods markupsafe's Markup overrides to return Markup again.</summary>
    private static readonly HashSet<string> MarkupPreserving =
        ["strip", "lstrip", "rstrip", "upper", "lower", "title", "capitalize", "swapcase", "center", "ljust", "rjust", "zfill"];

    private static readonly Dictionary<string, Method> Methods = new(StringComparer.Ordinal)
    {
        ["strip"] = (_, s, a) => new StringValue(Strip(s, Chars(a, "strip"), true, true)),
        ["lstrip"] = (_, s, a) => new StringValue(Strip(s, Chars(a, "lstrip"), true, false)),
        ["rstrip"] = (_, s, a) => new StringValue(Strip(s, Chars(a, "rstrip"), false, true)),
        ["split"] = (r, s, a) => Split(r, s, a, "split", fromRight: false),
        ["rsplit"] = (r, s, a) => Split(r, s, a, "rsplit", fromRight: true),
        ["splitlines"] = (_, s, a) => SplitLines(s, a),
        ["startswith"] = (_, s, a) => Affix(s, a, "startswith", prefix: true),
        ["endswith"] = (_, s, a) => Affix(s, a, "endswith", prefix: false),
        ["upper"] = (_, s, a) => a.NoArgs("upper", (Value)new StringValue(s.ToUpperInvariant())),
        ["lower"] = (_, s, a) => a.NoArgs("lower", (Value)new StringValue(s.ToLowerInvariant())),
        ["casefold"] = (_, s, a) => a.NoArgs("casefold", (Value)new StringValue(s.ToLowerInvariant())),
        ["title"] = (_, s, a) => a.NoArgs("title", (Value)new StringValue(Title(s))),
        ["capitalize"] = (_, s, a) => a.NoArgs("capitalize", (Value)new StringValue(Capitalize(s))),
        ["swapcase"] = (_, s, a) => a.NoArgs("swapcase", (Value)new StringValue(string.Concat(s.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c))))),
        ["replace"] = (r, s, a) => Replace(r, s, a),
        ["find"] = (_, s, a) => new IntValue(Find(s, a, "find", fromRight: false)),
        ["rfind"] = (_, s, a) => new IntValue(Find(s, a, "rfind", fromRight: true)),
        ["index"] = (_, s, a) => new IntValue(Found(Find(s, a, "index", fromRight: false))),
        ["rindex"] = (_, s, a) => new IntValue(Found(Find(s, a, "rindex", fromRight: true))),
        ["count"] = (_, s, a) => new IntValue(Count(s, a)),
        ["join"] = (r, s, a) => Join(r, s, a),
        ["format"] = (r, s, a) => new StringValue(PythonFormat.Format(r, s, a)),
        ["center"] = (r, s, a) => Pad(r, s, a, "center"),
        ["ljust"] = (r, s, a) => Pad(r, s, a, "ljust"),
        ["rjust"] = (r, s, a) => Pad(r, s, a, "rjust"),
        ["zfill"] = (r, s, a) => ZFill(r, s, a),
        ["partition"] = (_, s, a) => Partition(s, a, "partition", fromRight: false),
        ["rpartition"] = (_, s, a) => Partition(s, a, "rpartition", fromRight: true),
        ["removeprefix"] = (_, s, a) => RemoveAffix(s, a, "removeprefix", prefix: true),
        ["removesuffix"] = (_, s, a) => RemoveAffix(s, a, "removesuffix", prefix: false),
        ["isalpha"] = (_, s, a) => All(s, a, "isalpha", char.IsLetter),
        ["isalnum"] = (_, s, a) => All(s, a, "isalnum", char.IsLetterOrDigit),
        ["isdigit"] = (_, s, a) => All(s, a, "isdigit", char.IsDigit),
        ["isdecimal"] = (_, s, a) => All(s, a, "isdecimal", char.IsDigit),
        ["isnumeric"] = (_, s, a) => All(s, a, "isnumeric", char.IsNumber),
        ["isspace"] = (_, s, a) => All(s, a, "isspace", PythonChars.IsSpace),
        ["isascii"] = (_, s, a) => a.NoArgs("isascii", (Value)BoolValue.Of(s.All(char.IsAscii))),
        ["islower"] = (_, s, a) => a.NoArgs("islower", (Value)BoolValue.Of(IsLower(s))),
        ["isupper"] = (_, s, a) => a.NoArgs("isupper", (Value)BoolValue.Of(IsUpper(s))),
    };

    /// <summary>Real <c>str</c> methods this engine does not implement: present (so lookups match Python) but failing when called.</summary>
    private static readonly HashSet<string> Unsupported =
        ["encode", "expandtabs", "format_map", "isidentifier", "isprintable", "istitle", "maketrans", "translate"];

    public static Value? Get(Value receiver, string name)
    {
        if (Methods.TryGetValue(name, out var method))
        {
            return new BoundMethod(receiver, name, (r, self, args) =>
            {
                var s = (StringValue)self;
                var result = method(r, s.Value, args);
                return s.IsSafe && result is StringValue text && MarkupPreserving.Contains(name) ? s.Derive(text.Value) : result;
            });
        }
        if (Unsupported.Contains(name))
            return new BoundMethod(receiver, name, (_, _, _) => throw new TemplateException($"str.{name}() is not supported by this template engine"));
        return null;
    }

    private static string? Chars(Arguments a, string name) => a.Bind(name, "chars")[0] switch
    {
        null or NoneValue => null,
        StringValue s => s.Value,
        var v => throw new TemplateException($"{name} arg must be None or str, not {v.TypeName}"),
    };

    /// <summary>Python strip: white space, or any of <paramref name="chars"/>.</summary>
    public static string Strip(string s, string? chars, bool left, bool right)
    {
        int start = 0, end = s.Length;
        Func<char, bool> strip = chars is null ? PythonChars.IsSpace : c => chars.Contains(c);
        if (left) while (start < end && strip(s[start])) start++;
        if (right) while (end > start && strip(s[end - 1])) end--;
        return s[start..end];
    }

    private static Value Split(Renderer r, string s, Arguments a, string name, bool fromRight)
    {
        var bound = a.Bind(name, "sep", "maxsplit");
        var sep = bound[0] switch
        {
            null or NoneValue => null,
            StringValue v => v.Value,
            var v => throw new TemplateException($"must be str or None, not {v.TypeName}"),
        };
        var maxSplit = bound[1] is null ? -1 : ToInt(bound[1]!, "maxsplit");
        if (sep is { Length: 0 }) throw new TemplateException("empty separator");
        var parts = sep is null ? SplitWhitespace(s, maxSplit, fromRight) : SplitOn(s, sep, maxSplit, fromRight);
        r.Charge(parts.Count);
        return new ListValue(parts.ConvertAll(p => (Value)new StringValue(p)));
    }

    private static List<string> SplitOn(string s, string sep, long maxSplit, bool fromRight)
    {
        var parts = new List<string>();
        if (!fromRight)
        {
            var start = 0;
            while (maxSplit < 0 || parts.Count < maxSplit)
            {
                var at = s.IndexOf(sep, start, StringComparison.Ordinal);
                if (at < 0) break;
                parts.Add(s[start..at]);
                start = at + sep.Length;
            }
            parts.Add(s[start..]);
            return parts;
        }
        var end = s.Length;
        var splits = 0;
        while (maxSplit < 0 || splits < maxSplit)
        {
            var at = end - sep.Length < 0 ? -1 : s.LastIndexOf(sep, end - 1, end, StringComparison.Ordinal);
            if (at < 0 || at + sep.Length > end) break;
            parts.Add(s[(at + sep.Length)..end]);
            end = at;
            splits++;
        }
        parts.Add(s[..end]);
        parts.Reverse();
        return parts;
    }

    private static List<string> SplitWhitespace(string s, long maxSplit, bool fromRight)
    {
        var parts = new List<string>();
        if (!fromRight)
        {
            var i = 0;
            while (true)
            {
                while (i < s.Length && PythonChars.IsSpace(s[i])) i++;
                if (i >= s.Length) break;
                if (maxSplit >= 0 && parts.Count == maxSplit)
                {
                    parts.Add(PythonChars.RStrip(s[i..]));
                    break;
                }
                var start = i;
                while (i < s.Length && !PythonChars.IsSpace(s[i])) i++;
                parts.Add(s[start..i]);
            }
            return parts;
        }
        var j = s.Length;
        while (true)
        {
            while (j > 0 && PythonChars.IsSpace(s[j - 1])) j--;
            if (j <= 0) break;
            if (maxSplit >= 0 && parts.Count == maxSplit)
            {
                parts.Add(s[..j]);
                break;
            }
            var end = j;
            while (j > 0 && !PythonChars.IsSpace(s[j - 1])) j--;
            parts.Add(s[j..end]);
        }
        parts.Reverse();
        return parts;
    }

    private static Value SplitLines(string s, Arguments a)
    {
        var keep = a.Bind("splitlines", "keepends")[0]?.IsTruthy ?? false;
        return new ListValue(SplitLinesText(s, keep).ConvertAll(line => (Value)new StringValue(line)));
    }

    /// <summary>Python <c>str.splitlines</c>: breaks on \n, \r, \r\n, \v, \f, \x1c-\x1e, \x85, U+2028 and U+2029.</summary>
    public static List<string> SplitLinesText(string s, bool keepEnds)
    {
        var lines = new List<string>();
        var start = 0;
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            var breakLength = c == '\r' && i + 1 < s.Length && s[i + 1] == '\n' ? 2
                : c is '\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029' ? 1 : 0;
            if (breakLength == 0)
            {
                i++;
                continue;
            }
            lines.Add(s[start..(keepEnds ? i + breakLength : i)]);
            i += breakLength;
            start = i;
        }
        if (start < s.Length) lines.Add(s[start..]);
        return lines;
    }

    private static Value Affix(string s, Arguments a, string name, bool prefix)
    {
        var bound = a.Bind(name, prefix ? "prefix" : "suffix", "start", "end");
        var (from, to) = Range(s.Length, bound[1], bound[2]);
        var affixes = bound[0] switch
        {
            StringValue v => [v.Value],
            ListValue { Kind: SequenceKind.Tuple } t => t.Items.Select(i => i is StringValue sv ? sv.Value
                : throw new TemplateException($"tuple for {name} must only contain str, not {i.TypeName}")).ToArray(),
            var v => throw new TemplateException($"{name} first arg must be str or a tuple of str, not {v?.TypeName ?? "nothing"}"),
        };
        if (from > s.Length) return BoolValue.False;
        var window = s[from..Math.Max(from, to)];
        return BoolValue.Of(affixes.Any(x => prefix ? window.StartsWith(x, StringComparison.Ordinal) : window.EndsWith(x, StringComparison.Ordinal)));
    }

    /// <summary>Python's slice-style start/end bounds for find, count, startswith.</summary>
    private static (int From, int To) Range(int length, Value? start, Value? end)
    {
        long Resolve(Value? v, long fallback)
        {
            if (v is null or NoneValue) return fallback;
            var i = ToInt(v, "slice index");
            if (i < 0) i = Math.Max(0, i + length);
            return i;
        }
        var from = Resolve(start, 0);
        var to = Math.Min(Resolve(end, length), length);
        return ((int)Math.Min(from, length + 1L), (int)to);
    }

    private static long ToInt(Value v, string what) => v switch
    {
        IntValue i => i.Value,
        BoolValue b => b.Value ? 1 : 0,
        _ => throw new TemplateException($"'{v.TypeName}' object cannot be interpreted as an integer ({what})"),
    };

    private static string Arg(Value? v, string name) => v is StringValue s ? s.Value
        : throw new TemplateException($"{name}() argument must be str, not {v?.TypeName ?? "nothing"}");

    private static Value Replace(Renderer r, string s, Arguments a)
    {
        var bound = a.Bind("replace", "old", "new", "count");
        var result = ReplaceText(r, s, Arg(bound[0], "replace"), Arg(bound[1], "replace"), bound[2] is null ? -1 : ToInt(bound[2]!, "count"));
        return new StringValue(result);
    }

    /// <summary>Python <c>str.replace</c>, including the empty-pattern case that inserts between characters.</summary>
    public static string ReplaceText(Renderer r, string s, string old, string replacement, long count)
    {
        var sb = new StringBuilder();
        var done = 0L;
        if (old.Length == 0)
        {
            var points = CodePoints.Of(s);
            for (var i = 0; i <= points.Length; i++)
            {
                if (count < 0 || done < count)
                {
                    sb.Append(replacement);
                    done++;
                }
                if (i < points.Length) sb.Append(CodePoints.Text(points[i]));
                r.CheckLength(sb.Length);
            }
            return sb.ToString();
        }
        var start = 0;
        while (count < 0 || done < count)
        {
            var at = s.IndexOf(old, start, StringComparison.Ordinal);
            if (at < 0) break;
            sb.Append(s, start, at - start).Append(replacement);
            r.CheckLength(sb.Length);
            start = at + old.Length;
            done++;
        }
        sb.Append(s, start, s.Length - start);
        r.CheckLength(sb.Length);
        return sb.ToString();
    }

    private static long Find(string s, Arguments a, string name, bool fromRight)
    {
        var bound = a.Bind(name, "sub", "start", "end");
        var sub = Arg(bound[0], name);
        var (from, to) = Range(s.Length, bound[1], bound[2]);
        if (to - from < sub.Length) return -1;
        var window = s.Substring(from, to - from);
        var at = fromRight ? window.LastIndexOf(sub, StringComparison.Ordinal) : window.IndexOf(sub, StringComparison.Ordinal);
        return at < 0 ? -1 : at + from;
    }

    private static long Found(long index) => index >= 0 ? index : throw new TemplateException("substring not found");

    private static long Count(string s, Arguments a)
    {
        var bound = a.Bind("count", "sub", "start", "end");
        var sub = Arg(bound[0], "count");
        var (from, to) = Range(s.Length, bound[1], bound[2]);
        if (sub.Length == 0) return from > to ? 0 : to - from + 1;
        long n = 0;
        var i = from;
        while (i + sub.Length <= to)
        {
            var at = s.IndexOf(sub, i, to - i, StringComparison.Ordinal);
            if (at < 0) break;
            n++;
            i = at + sub.Length;
        }
        return n;
    }

    private static Value Join(Renderer r, string sep, Arguments a)
    {
        var items = a.Bind("join", "iterable")[0] ?? throw new TemplateException("join() takes exactly one argument (0 given)");
        var sb = new StringBuilder();
        var i = 0;
        foreach (var item in r.Iterate(items))
        {
            if (item is not StringValue s) throw new TemplateException($"sequence item {i}: expected str instance, {item.TypeName} found");
            if (i++ > 0) sb.Append(sep);
            sb.Append(s.Value);
            r.CheckLength(sb.Length);
        }
        return new StringValue(sb.ToString());
    }

    private static Value Pad(Renderer r, string s, Arguments a, string name)
    {
        var bound = a.Bind(name, "width", "fillchar");
        var width = ToInt(bound[0] ?? throw new TemplateException($"{name}() takes at least 1 argument (0 given)"), "width");
        var fill = bound[1] is null ? ' ' : Arg(bound[1], name) is { Length: 1 } f ? f[0]
            : throw new TemplateException("The fill character must be exactly one character long");
        return new StringValue(PadText(r, s, width, fill, name));
    }

    /// <summary>Python <c>center</c>/<c>ljust</c>/<c>rjust</c> padding (center puts the odd space where CPython does).</summary>
    public static string PadText(Renderer r, string s, long width, char fill, string how)
    {
        var length = CodePoints.Count(s);
        if (width <= length) return s;
        r.CheckLength(width);
        var margin = (int)(width - length);
        var left = how switch
        {
            "ljust" => 0,
            "rjust" => margin,
            _ => margin / 2 + (margin & (int)width & 1),
        };
        return new string(fill, left) + s + new string(fill, margin - left);
    }

    private static Value ZFill(Renderer r, string s, Arguments a)
    {
        var width = ToInt(a.Bind("zfill", "width")[0] ?? throw new TemplateException("zfill() takes exactly one argument (0 given)"), "width");
        if (width <= s.Length) return new StringValue(s);
        r.CheckLength(width);
        var sign = s.Length > 0 && s[0] is '+' or '-' ? s[..1] : "";
        return new StringValue(sign + new string('0', (int)width - s.Length) + s[sign.Length..]);
    }

    private static Value Partition(string s, Arguments a, string name, bool fromRight)
    {
        var sep = Arg(a.Bind(name, "sep")[0], name);
        if (sep.Length == 0) throw new TemplateException("empty separator");
        var at = fromRight ? s.LastIndexOf(sep, StringComparison.Ordinal) : s.IndexOf(sep, StringComparison.Ordinal);
        if (at < 0)
            return fromRight ? ListValue.Tuple(StringValue.Empty, StringValue.Empty, new StringValue(s)) : ListValue.Tuple(new StringValue(s), StringValue.Empty, StringValue.Empty);
        return ListValue.Tuple(new StringValue(s[..at]), new StringValue(sep), new StringValue(s[(at + sep.Length)..]));
    }

    private static Value RemoveAffix(string s, Arguments a, string name, bool prefix)
    {
        var affix = Arg(a.Bind(name, prefix ? "prefix" : "suffix")[0], name);
        if (prefix && affix.Length > 0 && s.StartsWith(affix, StringComparison.Ordinal)) return new StringValue(s[affix.Length..]);
        if (!prefix && affix.Length > 0 && s.EndsWith(affix, StringComparison.Ordinal)) return new StringValue(s[..^affix.Length]);
        return new StringValue(s);
    }

    private static Value All(string s, Arguments a, string name, Func<char, bool> predicate)
    {
        a.ExpectNone(name);
        return BoolValue.Of(s.Length > 0 && s.All(predicate));
    }

    private static bool IsCased(char c) => char.IsUpper(c) || char.IsLower(c) || char.GetUnicodeCategory(c) == UnicodeCategory.TitlecaseLetter;

    public static bool IsLower(string s) => s.Any(IsCased) && !s.Any(c => char.IsUpper(c) || char.GetUnicodeCategory(c) == UnicodeCategory.TitlecaseLetter);

    public static bool IsUpper(string s) => s.Any(IsCased) && !s.Any(c => char.IsLower(c) || char.GetUnicodeCategory(c) == UnicodeCategory.TitlecaseLetter);

    /// <summary>Python <c>str.title()</c>: upper after an uncased character, lower after a cased one.</summary>
    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        var previousCased = false;
        foreach (var c in s)
        {
            sb.Append(previousCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            previousCased = IsCased(c);
        }
        return sb.ToString();
    }

    /// <summary>Python <c>str.capitalize()</c>: first character upper, the rest lower.</summary>
    public static string Capitalize(string s) =>
        s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();
}
