using System.Globalization;
using System.Text;

namespace Moxing.Text.Templates.Runtime;

/// <summary>Python's <c>str()</c> and <c>repr()</c> of template values, which templates print.</summary>
internal static class PythonRepr
{
    /// <summary>Python <c>str(value)</c>; undefined prints as the empty string.</summary>
    public static string Str(Value value) => value switch
    {
        StringValue s => s.Value,
        UndefinedValue => "",
        _ => Of(value),
    };

    /// <summary>Python <c>repr(value)</c>.</summary>
    public static string Of(Value value)
    {
        var sb = new StringBuilder();
        Append(sb, value);
        return sb.ToString();
    }

    public static void Append(StringBuilder sb, Value value)
    {
        switch (value)
        {
            case StringValue { IsSafe: true } m:
                sb.Append("Markup(");
                AppendString(sb, m.Value);
                sb.Append(')');
                break;
            case StringValue s: AppendString(sb, s.Value); break;
            case NoneValue: sb.Append("None"); break;
            case BoolValue b: sb.Append(b.Value ? "True" : "False"); break;
            case IntValue i: sb.Append(i.Value.ToString(CultureInfo.InvariantCulture)); break;
            case FloatValue f: sb.Append(Float(f.Value)); break;
            case UndefinedValue: sb.Append("Undefined"); break;
            case ListValue { RangeRepr: { } range }: sb.Append(range); break;
            case ListValue l: AppendSequence(sb, l); break;
            case DictValue d: AppendDict(sb, d); break;
            case NamespaceValue ns:
                sb.Append("<Namespace ");
                AppendDict(sb, ns.Attributes);
                sb.Append('>');
                break;
            case CallableValue c: sb.Append(c.Describe()); break;
            case LoopValue loop: sb.Append(loop.Describe()); break;
            default: sb.Append('<').Append(value.TypeName).Append(" object>"); break;
        }
    }

    private static void AppendSequence(StringBuilder sb, ListValue l)
    {
        var (open, close) = l.Kind switch
        {
            SequenceKind.Tuple => ("(", ")"),
            SequenceKind.List => ("[", "]"),
            _ => (l.TypeName + "([", "])"),
        };
        sb.Append(open);
        for (var i = 0; i < l.Items.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            Append(sb, l.Items[i]);
        }
        if (l.Kind == SequenceKind.Tuple && l.Items.Count == 1) sb.Append(',');
        sb.Append(close);
    }

    private static void AppendDict(StringBuilder sb, DictValue d)
    {
        sb.Append('{');
        for (var i = 0; i < d.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            Append(sb, d.Keys[i]);
            sb.Append(": ");
            Append(sb, d.Values[i]);
        }
        sb.Append('}');
    }

    /// <summary>Python <c>repr(str)</c>: single quotes unless the text has one and no double quote; escapes the unprintable.</summary>
    public static string String(string s)
    {
        var sb = new StringBuilder(s.Length + 2);
        AppendString(sb, s);
        return sb.ToString();
    }

    private static void AppendString(StringBuilder sb, string s)
    {
        var quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        sb.Append(quote);
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == quote || c == '\\') sb.Append('\\').Append(c);
            else if (c == '\t') sb.Append("\\t");
            else if (c == '\n') sb.Append("\\n");
            else if (c == '\r') sb.Append("\\r");
            else if (c < ' ' || c == '\x7f') sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else if (c < '\x7f') sb.Append(c);
            else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                var cp = char.ConvertToUtf32(c, s[i + 1]);
                if (IsPrintable(CharUnicodeInfo.GetUnicodeCategory(cp))) sb.Append(c).Append(s[i + 1]);
                else sb.Append("\\U").Append(cp.ToString("x8", CultureInfo.InvariantCulture));
                i++;
            }
            else if (char.IsSurrogate(c) || !IsPrintable(CharUnicodeInfo.GetUnicodeCategory(c)))
                sb.Append(c <= '\xff' ? "\\x" + ((int)c).ToString("x2", CultureInfo.InvariantCulture) : "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        sb.Append(quote);
    }

    /// <summary>Python's <c>str.isprintable</c> by category: not control, format, surrogate, private, unassigned or separator.</summary>
    private static bool IsPrintable(UnicodeCategory category) => category is not (UnicodeCategory.Control or UnicodeCategory.Format
        or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
        or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.SpaceSeparator);

    /// <summary>Python <c>repr(float)</c>: shortest round-trip digits, exponent form below 1e-4 and from 1e16.</summary>
    public static string Float(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        var (negative, digits, point) = ShortestDigits(d);
        var sb = new StringBuilder();
        if (negative) sb.Append('-');
        if (digits.Length == 0) return sb.Append("0.0").ToString();
        if (point <= -4 || point > 16)
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            var exp = point - 1;
            sb.Append('e').Append(exp < 0 ? '-' : '+').Append(Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (point <= 0) sb.Append("0.").Append('0', -point).Append(digits);
        else if (point >= digits.Length) sb.Append(digits).Append('0', point - digits.Length).Append(".0");
        else sb.Append(digits, 0, point).Append('.').Append(digits, point, digits.Length - point);
        return sb.ToString();
    }

    /// <summary>The shortest round-trip decimal digits of <paramref name="d"/> and where the decimal point falls in them.</summary>
    public static (bool Negative, string Digits, int Point) ShortestDigits(double d)
    {
        var r = d.ToString("R", CultureInfo.InvariantCulture);
        var negative = r.StartsWith('-');
        if (negative) r = r[1..];
        var exponent = 0;
        var e = r.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(r.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            r = r[..e];
        }
        var dot = r.IndexOf('.');
        var digits = dot >= 0 ? r.Remove(dot, 1) : r;
        var point = (dot >= 0 ? dot : r.Length) + exponent;
        var lead = 0;
        while (lead < digits.Length && digits[lead] == '0') lead++;
        digits = digits[lead..].TrimEnd('0');
        return (negative, digits, point - lead);
    }
}
