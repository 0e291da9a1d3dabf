using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Moxing.Text.Templates.Runtime;

/// <summary>jinja2's built-in filters (plus transformers' <c>tojson</c>), with jinja2's argument names and defaults.</summary>
internal static partial class FilterRegistry
{
    private delegate Value Filter(Renderer r, Value input, Arguments args);

    private static readonly Dictionary<string, Filter> Filters = new(StringComparer.Ordinal)
    {
        ["abs"] = Abs,
        ["attr"] = (_, v, a) => AttrFilter(v, a),
        ["batch"] = Batch,
        ["capitalize"] = (_, v, a) => StringFilter(v, a, "capitalize", StringMethods.Capitalize, keepsMarkup: true),
        ["center"] = Center,
        ["count"] = (_, v, a) => Length(v, a),
        ["length"] = (_, v, a) => Length(v, a),
        ["d"] = Default,
        ["default"] = Default,
        ["dictsort"] = DictSort,
        ["e"] = (_, v, a) => a.NoArgs("escape", StringValue.Escape(v)),
        ["escape"] = (_, v, a) => a.NoArgs("escape", StringValue.Escape(v)),
        ["forceescape"] = (_, v, a) => a.NoArgs("forceescape", new StringValue(StringValue.HtmlEscape(PythonRepr.Str(v)), true)),
        ["first"] = First,
        ["last"] = Last,
        ["float"] = ToFloat,
        ["int"] = ToInt,
        ["format"] = (r, v, a) => new StringValue(PythonFormat.Percent(r, PythonRepr.Str(v), a)),
        ["groupby"] = GroupBy,
        ["indent"] = Indent,
        ["join"] = Join,
        ["list"] = (r, v, a) => a.NoArgs("list", new ListValue(r.Iterate(v).ToList())),
        ["lower"] = (_, v, a) => StringFilter(v, a, "lower", s => s.ToLowerInvariant(), keepsMarkup: true),
        ["upper"] = (_, v, a) => StringFilter(v, a, "upper", s => s.ToUpperInvariant(), keepsMarkup: true),
        ["items"] = Items,
        ["map"] = Map,
        ["min"] = (r, v, a) => MinMax(r, v, a, "min", -1),
        ["max"] = (r, v, a) => MinMax(r, v, a, "max", 1),
        ["select"] = (r, v, a) => SelectOrReject(r, v, a, lookupAttribute: false, select: true),
        ["reject"] = (r, v, a) => SelectOrReject(r, v, a, lookupAttribute: false, select: false),
        ["selectattr"] = (r, v, a) => SelectOrReject(r, v, a, lookupAttribute: true, select: true),
        ["rejectattr"] = (r, v, a) => SelectOrReject(r, v, a, lookupAttribute: true, select: false),
        ["replace"] = Replace,
        ["reverse"] = Reverse,
        ["round"] = Round,
        ["safe"] = (_, v, a) => a.NoArgs("safe", v is StringValue { IsSafe: true } ? v : new StringValue(PythonRepr.Str(v), true)),
        ["slice"] = Slice,
        ["sort"] = Sort,
        ["string"] = (_, v, a) => a.NoArgs("string", v is StringValue ? v : new StringValue(PythonRepr.Str(v))),
        ["striptags"] = (_, v, a) => StringFilter(v, a, "striptags", StripTags),
        ["sum"] = Sum,
        ["title"] = (_, v, a) => StringFilter(v, a, "title", Title),
        ["trim"] = Trim,
        ["truncate"] = Truncate,
        ["unique"] = Unique,
        ["wordcount"] = (_, v, a) => a.NoArgs("wordcount", new IntValue(WordPattern().Matches(PythonRepr.Str(v)).Count)),
        ["tojson"] = (r, v, a) => ToJson(r, v, a),
    };

    public static bool Exists(string name) => Filters.ContainsKey(name);

    public static Value Apply(Renderer r, string name, Value input, Arguments args)
    {
        if (!Filters.TryGetValue(name, out var filter)) throw new TemplateException($"No filter named '{name}'.");
        return filter(r, input, args);
    }

    private static Value StringFilter(Value v, Arguments a, string name, Func<string, string> transform, bool keepsMarkup = false)
    {
        a.ExpectNone(name);
        return new StringValue(transform(PythonRepr.Str(v)), keepsMarkup && v is StringValue { IsSafe: true });
    }

    private static long IntArg(Value? v, long fallback, string what) => v switch
    {
        null => fallback,
        IntValue i => i.Value,
        BoolValue b => b.Value ? 1 : 0,
        _ => throw new TemplateException($"'{v.TypeName}' object cannot be interpreted as an integer ({what})"),
    };

    private static bool BoolArg(Value? v, bool fallback) => v?.IsTruthy ?? fallback;

    private static Value Abs(Renderer r, Value v, Arguments a)
    {
        a.ExpectNone("abs");
        if (!PythonEquality.TryNumber(v, out var n)) throw new TemplateException($"bad operand type for abs(): '{v.TypeName}'");
        return n.IsFloat ? new FloatValue(Math.Abs(n.Float)) : new IntValue(n.Int == long.MinValue ? throw new TemplateException("integer overflow") : Math.Abs(n.Int));
    }

    private static Value AttrFilter(Value v, Arguments a)
    {
        var name = a.Bind("attr", "name")[0] is StringValue s ? s.Value : throw new TemplateException("attribute name must be a string");
        return Attributes.GetAttr(v, name);
    }

    private static Value Center(Renderer r, Value v, Arguments a)
    {
        var width = IntArg(a.Bind("center", "width")[0], 80, "width");
        return new StringValue(StringMethods.PadText(r, PythonRepr.Str(v), width, ' ', "center"), v is StringValue { IsSafe: true });
    }

    /// <summary>Python <c>len()</c>: code points of a string, items of a container, 0 for undefined.</summary>
    public static Value Length(Value v, Arguments a)
    {
        a.ExpectNone("length");
        return new IntValue(v switch
        {
            StringValue s => CodePoints.Count(s.Value),
            ListValue l => l.Count,
            DictValue d => d.Count,
            NamespaceValue => throw new TemplateException("object of type 'Namespace' has no len()"),
            UndefinedValue => 0,
            _ => throw new TemplateException($"object of type '{v.TypeName}' has no len()"),
        });
    }

    private static Value Default(Renderer r, Value v, Arguments a)
    {
        var bound = a.Bind("default", "default_value", "boolean");
        var fallback = bound[0] ?? StringValue.Empty;
        return v is UndefinedValue || (BoolArg(bound[1], false) && !v.IsTruthy) ? fallback : v;
    }

    private static Value First(Renderer r, Value v, Arguments a)
    {
        a.ExpectNone("first");
        foreach (var item in r.Iterate(v)) return item;
        return UndefinedValue.WithHint("No first item, sequence was empty.");
    }

    private static Value Last(Renderer r, Value v, Arguments a)
    {
        a.ExpectNone("last");
        if (v is IteratorValue) throw new TemplateException($"'{v.TypeName}' object is not reversible");
        Value? last = null;
        foreach (var item in r.Iterate(v)) last = item;
        return last ?? UndefinedValue.WithHint("No last item, sequence was empty.");
    }

    private static Value ToFloat(Renderer r, Value v, Arguments a)
    {
        var fallback = a.Bind("float", "default")[0] ?? new FloatValue(0.0);
        return TryPythonFloat(v, out var d) ? new FloatValue(d) : fallback;
    }

    /// <summary>Python <c>float(x)</c> for numbers and numeric strings.</summary>
    public static bool TryPythonFloat(Value v, out double d)
    {
        if (PythonEquality.TryNumber(v, out var n))
        {
            d = n.Float;
            return true;
        }
        d = 0;
        if (v is not StringValue s) return false;
        var text = PythonChars.Strip(s.Value);
        if (text.Contains("__") || text.StartsWith('_') || text.EndsWith('_')) return false;
        text = text.Replace("_", "");
        var lower = text.ToLowerInvariant().TrimStart('+', '-');
        if (lower is "inf" or "infinity" or "nan")
        {
            d = lower == "nan" ? double.NaN : text.StartsWith('-') ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }
        if (text.Length == 0 || text.Any(c => !(char.IsAsciiDigit(c) || c is '.' or 'e' or 'E' or '+' or '-'))) return false;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out d);
    }

    private static Value ToInt(Renderer r, Value v, Arguments a)
    {
        var bound = a.Bind("int", "default", "base");
        var fallback = bound[0] ?? new IntValue(0);
        var radix = IntArg(bound[1], 10, "base");
        if (v is StringValue s && TryParseInt(s.Value, (int)radix, out var parsed)) return new IntValue(parsed);
        if (PythonEquality.TryNumber(v, out var n))
        {
            if (!n.IsFloat) return new IntValue(n.Int);
            if (double.IsNaN(n.Float) || double.IsInfinity(n.Float) || Math.Abs(n.Float) >= 9.2e18) return fallback;
            return new IntValue((long)Math.Truncate(n.Float));
        }
        if (TryPythonFloat(v, out var d) && !double.IsNaN(d) && !double.IsInfinity(d) && Math.Abs(d) < 9.2e18)
            return new IntValue((long)Math.Truncate(d));
        return fallback;
    }

    /// <summary>Python <c>int(text, base)</c>: optional sign, underscores between digits, and 0x/0o/0b prefixes matching the base.</summary>
    private static bool TryParseInt(string text, int radix, out long value)
    {
        value = 0;
        var s = PythonChars.Strip(text);
        var negative = s.StartsWith('-');
        if (s.StartsWith('-') || s.StartsWith('+')) s = s[1..];
        if (s.Length >= 2 && s[0] == '0' && char.ToLowerInvariant(s[1]) is 'x' or 'o' or 'b')
        {
            var prefixRadix = char.ToLowerInvariant(s[1]) switch { 'x' => 16, 'o' => 8, _ => 2 };
            if (radix == 0) radix = prefixRadix;
            if (radix != prefixRadix) return false;
            s = s[2..].TrimStart('_');
        }
        if (radix == 0) radix = 10;
        if (radix is < 2 or > 36 || s.Length == 0 || s.StartsWith('_') || s.EndsWith('_') || s.Contains("__")) return false;
        foreach (var c in s.Replace("_", ""))
        {
            var digit = char.IsAsciiDigit(c) ? c - '0' : char.IsAsciiLetter(c) ? char.ToLowerInvariant(c) - 'a' + 10 : 99;
            if (digit >= radix) return false;
            try
            {
                value = checked(value * radix + digit);
            }
            catch (OverflowException)
            {
                return false;
            }
        }
        if (negative) value = -value;
        return true;
    }

    /// <summary>jinja2's <c>indent</c>: indents every line after the first (and blank ones only when asked).</summary>
    private static Value Indent(Renderer r, Value v, Arguments a)
    {
        var bound = a.Bind("indent", "width", "first", "blank");
        var indentation = bound[0] switch
        {
            null => "    ",
            StringValue s => s.Value,
            var w => new string(' ', (int)Math.Clamp(IntArg(w, 4, "width"), 0, r.Limits.MaxOutputLength)),
        };
        var text = PythonRepr.Str(v) + "\n";
        var lines = StringMethods.SplitLinesText(text, keepEnds: false);
        var sb = new StringBuilder();
        if (BoolArg(bound[2], false))
        {
            for (var i = 0; i < lines.Count; i++)
            {
                if (i > 0) sb.Append('\n').Append(indentation);
                sb.Append(lines[i]);
                r.CheckLength(sb.Length);
            }
        }
        else
        {
            for (var i = 0; i < lines.Count; i++)
            {
                var line = lines[i];
                if (i > 0)
                {
                    sb.Append('\n');
                    if (line.Length > 0) sb.Append(indentation);
                }
                sb.Append(line);
                r.CheckLength(sb.Length);
            }
        }
        var result = sb.ToString();
        return new StringValue(BoolArg(bound[1], false) ? indentation + result : result);
    }

    private static Value Join(Renderer r, Value v, Arguments a)
    {
        var bound = a.Bind("join", "d", "attribute");
        var separator = bound[0] is null ? "" : PythonRepr.Str(bound[0]!);
        var getter = AttributeGetter(bound[1]);
        var sb = new StringBuilder();
        var first = true;
        foreach (var item in r.Iterate(v))
        {
            if (!first) sb.Append(separator);
            first = false;
            sb.Append(PythonRepr.Str(getter(item)));
            r.CheckLength(sb.Length);
        }
        return new StringValue(sb.ToString());
    }

    private static Value Replace(Renderer r, Value v, Arguments a)
    {
        var bound = a.Bind("replace", "old", "new", "count");
        if (bound[0] is null || bound[1] is null) throw new TemplateException("replace() missing required arguments 'old' and 'new'");
        var count = bound[2] is null or NoneValue ? -1 : IntArg(bound[2], -1, "count");
        return new StringValue(StringMethods.ReplaceText(r, PythonRepr.Str(v), PythonRepr.Str(bound[0]!), PythonRepr.Str(bound[1]!), count));
    }

    /// <summary>Python <c>round(x, n)</c> (half to even on the exact binary value), or ceil/floor scaled by 10^n.</summary>
    private static Value Round(Renderer r, Value v, Arguments a)
    {
        var bound = a.Bind("round", "precision", "method");
        var precision = IntArg(bound[0], 0, "precision");
        var method = bound[1] is null ? "common" : PythonRepr.Str(bound[1]!);
        if (method is not ("common" or "ceil" or "floor")) throw new TemplateException("method must be common, ceil or floor");
        if (!PythonEquality.TryNumber(v, out var n)) throw new TemplateException($"type {v.TypeName} doesn't define __round__ method");
        if (method == "common")
            return n.IsFloat ? new FloatValue(PythonRound.Round(n.Float, (int)Math.Clamp(precision, -400, 400))) : new IntValue(PythonRound.RoundInt(n.Int, precision));
        var scale = Math.Pow(10, precision);
        var scaled = n.Float * scale;
        return new FloatValue((method == "ceil" ? Math.Ceiling(scaled) : Math.Floor(scaled)) / scale);
    }

    private static Value Sum(Renderer r, Value v, Arguments a)
    {
        var bound = a.Bind("sum", "attribute", "start");
        var getter = AttributeGetter(bound[0]);
        var total = bound[1] ?? new IntValue(0);
        if (total is StringValue) throw new TemplateException("sum() can't sum strings [use ''.join(seq) instead]");
        foreach (var item in r.Iterate(v))
        {
            r.Charge();
            total = Operators.Binary(r, Syntax.BinaryOp.Add, total, getter(item));
        }
        return total;
    }

    private static string StripTags(string s)
    {
        s = RemoveDelimited(s, "<!--", "-->");
        s = RemoveDelimited(s, "<", ">");
        var collapsed = string.Join(' ', SplitPython(s));
        return HtmlEntities().Replace(collapsed, m => m.Groups[1].Value switch
        {
            "amp" => "&",
            "lt" => "<",
            "gt" => ">",
            "quot" => "\"",
            "apos" => "'",
            var e when e.StartsWith("#x", StringComparison.OrdinalIgnoreCase) && int.TryParse(e.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var x) => CodePoints.Text(Math.Min(x, 0x10FFFF)),
            var e when e.StartsWith('#') && int.TryParse(e.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var d) => CodePoints.Text(Math.Min(d, 0x10FFFF)),
            _ => m.Value,
        });
    }

    private static IEnumerable<string> SplitPython(string s)
    {
        var i = 0;
        while (i < s.Length)
        {
            while (i < s.Length && PythonChars.IsSpace(s[i])) i++;
            var start = i;
            while (i < s.Length && !PythonChars.IsSpace(s[i])) i++;
            if (i > start) yield return s[start..i];
        }
    }

    private static string RemoveDelimited(string s, string open, string close)
    {
        while (true)
        {
            var start = s.IndexOf(open, StringComparison.Ordinal);
            if (start < 0) return s;
            var end = s.IndexOf(close, start, StringComparison.Ordinal);
            if (end < 0) return s;
            s = s[..start] + s[(end + close.Length)..];
        }
    }

    /// <summary>jinja2's <c>title</c> filter: capitalizes each word delimited by spaces, dashes and brackets.</summary>
    private static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var part in WordBoundary().Split(s))
        {
            if (part.Length == 0) continue;
            sb.Append(char.ToUpperInvariant(part[0])).Append(part[1..].ToLowerInvariant());
        }
        return sb.ToString();
    }

    private static Value Trim(Renderer r, Value v, Arguments a)
    {
        var chars = a.Bind("trim", "chars")[0] switch
        {
            null or NoneValue => null,
            StringValue s => s.Value,
            var c => throw new TemplateException($"strip arg must be None or str, not {c.TypeName}"),
        };
        return new StringValue(StringMethods.Strip(PythonRepr.Str(v), chars, true, true), v is StringValue { IsSafe: true });
    }

    private static Value Truncate(Renderer r, Value v, Arguments a)
    {
        var bound = a.Bind("truncate", "length", "killwords", "end", "leeway");
        var s = PythonRepr.Str(v);
        var length = IntArg(bound[0], 255, "length");
        var end = bound[2] is null ? "..." : PythonRepr.Str(bound[2]!);
        var leeway = IntArg(bound[3], 5, "leeway");
        if (length < end.Length) throw new TemplateException($"expected length >= {end.Length}, got {length}");
        if (leeway < 0) throw new TemplateException($"expected leeway >= 0, got {leeway}");
        if (s.Length <= length + leeway) return new StringValue(s);
        var head = s[..(int)(length - end.Length)];
        if (BoolArg(bound[1], false)) return new StringValue(head + end);
        var space = head.LastIndexOf(' ');
        return new StringValue((space >= 0 ? head[..space] : head) + end);
    }

    [GeneratedRegex(@"\w+")]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"([-\s({\[<]+)")]
    private static partial Regex WordBoundary();

    [GeneratedRegex(@"&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);")]
    private static partial Regex HtmlEntities();
}
