using System.Globalization;
using System.Numerics;
using System.Text;

namespace Moxing.Text.Templates.Runtime;

/// <summary>Python's <c>str.format</c> (format-spec mini-language) and printf-style <c>%</c> formatting.</summary>
internal static class PythonFormat
{
    /// <summary><c>format_string.format(*args, **kwargs)</c>.</summary>
    public static string Format(Renderer r, string format, Arguments args)
    {
        var sb = new StringBuilder();
        var auto = 0;
        bool? manual = null;
        for (var i = 0; i < format.Length; i++)
        {
            var c = format[i];
            if (c == '}')
            {
                if (i + 1 < format.Length && format[i + 1] == '}')
                {
                    sb.Append('}');
                    i++;
                    continue;
                }
                throw new TemplateException("Single '}' encountered in format string");
            }
            if (c != '{')
            {
                sb.Append(c);
                continue;
            }
            if (i + 1 < format.Length && format[i + 1] == '{')
            {
                sb.Append('{');
                i++;
                continue;
            }
            var end = FindFieldEnd(format, i + 1);
            var field = format[(i + 1)..end];
            i = end;
            var (name, conversion, spec) = SplitField(field);
            if (spec.Contains('{')) spec = Format(r, spec, args);
            var value = ResolveField(name, args, ref auto, ref manual);
            value = conversion switch
            {
                null => value,
                's' => new StringValue(PythonRepr.Str(value)),
                'r' or 'a' => new StringValue(PythonRepr.Of(value)),
                _ => throw new TemplateException($"Unknown conversion specifier {conversion}"),
            };
            sb.Append(FormatValue(value, spec));
            r.CheckLength(sb.Length);
        }
        return sb.ToString();
    }

    private static int FindFieldEnd(string format, int start)
    {
        var depth = 1;
        for (var j = start; j < format.Length; j++)
        {
            if (format[j] == '{') depth++;
            else if (format[j] == '}' && --depth == 0) return j;
        }
        throw new TemplateException("expected '}' before end of string");
    }

    private static (string Name, char? Conversion, string Spec) SplitField(string field)
    {
        var bracket = false;
        for (var j = 0; j < field.Length; j++)
        {
            if (field[j] == '[') bracket = true;
            else if (field[j] == ']') bracket = false;
            else if (!bracket && field[j] == '!')
            {
                if (j + 1 >= field.Length) throw new TemplateException("end of string while looking for conversion specifier");
                var rest = field[(j + 2)..];
                if (rest.Length > 0 && rest[0] != ':') throw new TemplateException("expected ':' after conversion specifier");
                return (field[..j], field[j + 1], rest.Length > 0 ? rest[1..] : "");
            }
            else if (!bracket && field[j] == ':') return (field[..j], null, field[(j + 1)..]);
        }
        return (field, null, "");
    }

    private static Value ResolveField(string name, Arguments args, ref int auto, ref bool? manual)
    {
        var firstEnd = name.IndexOfAny(['.', '[']);
        var head = firstEnd < 0 ? name : name[..firstEnd];
        Value value;
        if (head.Length == 0 || head.All(char.IsAsciiDigit))
        {
            var isManual = head.Length > 0;
            if (manual is not null && manual != isManual)
                throw new TemplateException(isManual ? "cannot switch from automatic field numbering to manual field specification"
                    : "cannot switch from manual field specification to automatic field numbering");
            manual = isManual;
            var index = isManual ? int.Parse(head, CultureInfo.InvariantCulture) : auto++;
            if (index >= args.Positional.Count) throw new TemplateException($"Replacement index {index} out of range for positional args tuple");
            value = args.Positional[index];
        }
        else
        {
            var found = args.Named.FindIndex(p => p.Key == head);
            if (found < 0) throw new TemplateException($"'{head}'");
            value = args.Named[found].Value;
        }
        var rest = firstEnd < 0 ? "" : name[firstEnd..];
        while (rest.Length > 0)
        {
            if (rest[0] == '.')
            {
                var next = rest.IndexOfAny(['.', '['], 1);
                var attr = next < 0 ? rest[1..] : rest[1..next];
                value = Attributes.GetAttr(value, attr);
                rest = next < 0 ? "" : rest[next..];
            }
            else
            {
                var close = rest.IndexOf(']');
                if (close < 0) throw new TemplateException("Missing ']' in format string");
                var key = rest[1..close];
                value = Attributes.GetItem(value, key.Length > 0 && key.All(char.IsAsciiDigit) ? new IntValue(long.Parse(key, CultureInfo.InvariantCulture)) : new StringValue(key));
                rest = rest[(close + 1)..];
            }
        }
        return value;
    }

    private sealed record Spec(char Fill, char Align, char Sign, bool Alternate, int Width, char Grouping, int Precision, char Type);

    private static Spec ParseSpec(string spec)
    {
        var i = 0;
        char fill = ' ', align = '\0', sign = '-', grouping = '\0', type = '\0';
        if (spec.Length >= 2 && spec[1] is '<' or '>' or '^' or '=')
        {
            fill = spec[0];
            align = spec[1];
            i = 2;
        }
        else if (spec.Length >= 1 && spec[0] is '<' or '>' or '^' or '=')
        {
            align = spec[0];
            i = 1;
        }
        if (i < spec.Length && spec[i] is '+' or '-' or ' ') sign = spec[i++];
        if (i < spec.Length && spec[i] == 'z') i++;
        var alternate = i < spec.Length && spec[i] == '#';
        if (alternate) i++;
        if (i < spec.Length && spec[i] == '0')
        {
            if (align == '\0')
            {
                fill = '0';
                align = '=';
            }
            i++;
        }
        var width = 0;
        while (i < spec.Length && char.IsAsciiDigit(spec[i])) width = checked(width * 10 + spec[i++] - '0');
        if (i < spec.Length && spec[i] is ',' or '_') grouping = spec[i++];
        var precision = -1;
        if (i < spec.Length && spec[i] == '.')
        {
            i++;
            precision = 0;
            if (i >= spec.Length || !char.IsAsciiDigit(spec[i])) throw new TemplateException("Format specifier missing precision");
            while (i < spec.Length && char.IsAsciiDigit(spec[i])) precision = checked(precision * 10 + spec[i++] - '0');
        }
        if (i < spec.Length) type = spec[i++];
        if (i < spec.Length) throw new TemplateException("Invalid format specifier");
        return new Spec(fill, align, sign, alternate, width, grouping, precision, type);
    }

    /// <summary>Python's <c>format(value, spec)</c> for strings, numbers and (with an empty spec) anything.</summary>
    public static string FormatValue(Value value, string specText)
    {
        if (specText.Length == 0) return PythonRepr.Str(value);
        var spec = ParseSpec(specText);
        string body;
        switch (value)
        {
            case StringValue s:
                if (spec.Type is not ('\0' or 's')) throw new TemplateException($"Unknown format code '{spec.Type}' for object of type 'str'");
                body = spec.Precision >= 0 && s.Value.Length > spec.Precision ? s.Value[..spec.Precision] : s.Value;
                return Align(body, spec, '<', "");
            case IntValue or BoolValue when spec.Type is '\0' or 'd' or 'n' or 'b' or 'o' or 'x' or 'X' or 'c':
                {
                    PythonEquality.TryNumber(value, out var n);
                    var magnitude = BigInteger.Abs(n.Int);
                    if (spec.Type == 'c') return Align(CodePoints.Text((int)n.Int), spec, '<', "");
                    var (digits, prefix) = spec.Type switch
                    {
                        'b' => (ToBase(magnitude, 2), "0b"),
                        'o' => (ToBase(magnitude, 8), "0o"),
                        'x' => (ToBase(magnitude, 16), "0x"),
                        'X' => (ToBase(magnitude, 16).ToUpperInvariant(), "0X"),
                        _ => (magnitude.ToString(CultureInfo.InvariantCulture), ""),
                    };
                    if (spec.Grouping != '\0') digits = Group(digits, spec.Grouping, spec.Type is 'd' or '\0' ? 3 : 4);
                    return Align(digits, spec, '>', SignOf(n.Int < 0, spec.Sign) + (spec.Alternate ? prefix : ""));
                }
            case IntValue or BoolValue or FloatValue:
                {
                    PythonEquality.TryNumber(value, out var n);
                    var x = n.Float;
                    var negative = x < 0 || (x == 0 && double.IsNegative(x));
                    body = FormatFloat(Math.Abs(x), spec.Type, spec.Precision, spec.Alternate, value is FloatValue);
                    if (spec.Grouping != '\0')
                    {
                        var dot = body.IndexOfAny(['.', 'e', 'E', '%']);
                        var intPart = dot < 0 ? body : body[..dot];
                        if (intPart.All(char.IsAsciiDigit)) body = Group(intPart, spec.Grouping, 3) + (dot < 0 ? "" : body[dot..]);
                    }
                    return Align(body, spec, '>', SignOf(negative && !double.IsNaN(x), spec.Sign));
                }
            default:
                throw new TemplateException($"unsupported format string passed to {value.TypeName}.__format__");
        }
    }

    private static string SignOf(bool negative, char sign) => negative ? "-" : sign switch { '+' => "+", ' ' => " ", _ => "" };

    private static string ToBase(BigInteger value, int radix)
    {
        if (value.IsZero) return "0";
        var sb = new StringBuilder();
        while (!value.IsZero)
        {
            sb.Insert(0, "0123456789abcdef"[(int)(value % radix)]);
            value /= radix;
        }
        return sb.ToString();
    }

    private static string Group(string digits, char separator, int size)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < digits.Length; i++)
        {
            if (i > 0 && (digits.Length - i) % size == 0) sb.Append(separator);
            sb.Append(digits[i]);
        }
        return sb.ToString();
    }

    private static string Align(string body, Spec spec, char defaultAlign, string signPrefix)
    {
        var total = signPrefix.Length + body.Length;
        if (spec.Width <= total) return signPrefix + body;
        var pad = spec.Width - total;
        return (spec.Align == '\0' ? defaultAlign : spec.Align) switch
        {
            '<' => signPrefix + body + new string(spec.Fill, pad),
            '^' => new string(spec.Fill, pad / 2) + signPrefix + body + new string(spec.Fill, pad - pad / 2),
            '=' => signPrefix + new string(spec.Fill, pad) + body,
            _ => new string(spec.Fill, pad) + signPrefix + body,
        };
    }

    /// <summary>Formats a non-negative float for types e, f, g, %, and none (repr-like), rounding exactly like CPython.</summary>
    private static string FormatFloat(double x, char type, int precision, bool alternate, bool isFloat)
    {
        if (double.IsNaN(x)) return type is 'E' or 'F' or 'G' ? "NAN" : "nan";
        if (double.IsInfinity(x)) return type is 'E' or 'F' or 'G' ? "INF" : "inf";
        switch (type)
        {
            case 'f' or 'F':
                return Fixed(x, precision < 0 ? 6 : precision, alternate);
            case 'e' or 'E':
                var e = Exponent(x, precision < 0 ? 6 : precision, alternate);
                return type == 'E' ? e.ToUpperInvariant() : e;
            case '%':
                return Fixed(x * 100, precision < 0 ? 6 : precision, alternate) + "%";
            case 'g' or 'G' or 'n':
                var g = General(x, precision < 0 ? 6 : Math.Max(precision, 1), alternate, false);
                return type == 'G' ? g.ToUpperInvariant() : g;
            case '\0':
                if (precision < 0) return isFloat ? PythonRepr.Float(x) : ((long)x).ToString(CultureInfo.InvariantCulture);
                return General(x, Math.Max(precision, 1), alternate, true);
            default:
                throw new TemplateException($"Unknown format code '{type}' for object of type 'float'");
        }
    }

    /// <summary>The exact value of a double as numerator / 2^k.</summary>
    private static (BigInteger Numerator, BigInteger Denominator) Exact(double x)
    {
        var bits = BitConverter.DoubleToInt64Bits(x);
        var exponent = (int)((bits >> 52) & 0x7FF);
        var mantissa = bits & 0xFFFFFFFFFFFFFL;
        if (exponent == 0) exponent++;
        else mantissa |= 1L << 52;
        exponent -= 1075;
        return exponent >= 0 ? ((BigInteger)mantissa << exponent, BigInteger.One) : (mantissa, BigInteger.One << -exponent);
    }

    private static BigInteger RoundHalfEven(BigInteger numerator, BigInteger denominator)
    {
        var q = BigInteger.DivRem(numerator, denominator, out var rem);
        var twice = rem * 2;
        return twice > denominator || (twice == denominator && !q.IsEven) ? q + 1 : q;
    }

    private static string Fixed(double x, int precision, bool alternate)
    {
        var (num, den) = Exact(x);
        var digits = RoundHalfEven(num * BigInteger.Pow(10, precision), den).ToString(CultureInfo.InvariantCulture);
        if (precision == 0) return digits + (alternate ? "." : "");
        digits = digits.PadLeft(precision + 1, '0');
        return digits[..^precision] + "." + digits[^precision..];
    }

    /// <summary>Digits of x rounded to <paramref name="significant"/> figures and the decimal exponent of the first digit.</summary>
    private static (string Digits, int Exponent) Significant(double x, int significant)
    {
        if (x == 0) return (new string('0', significant), 0);
        var (num, den) = Exact(x);
        var exp = (int)Math.Floor(Math.Log10(x));
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var shift = significant - 1 - exp;
            var q = shift >= 0 ? RoundHalfEven(num * BigInteger.Pow(10, shift), den) : RoundHalfEven(num, den * BigInteger.Pow(10, -shift));
            var text = q.ToString(CultureInfo.InvariantCulture);
            if (text.Length == significant) return (text, exp);
            exp += text.Length > significant ? 1 : -1;
        }
        throw new TemplateException("float formatting failed");
    }

    private static string Exponent(double x, int precision, bool alternate)
    {
        var (digits, exp) = Significant(x, precision + 1);
        var mantissa = digits[..1] + (precision > 0 || alternate ? "." : "") + digits[1..];
        return mantissa + "e" + (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture);
    }

    /// <summary>The 'g' presentation; <paramref name="noType"/> is the untyped form that keeps one digit after the point.</summary>
    private static string General(double x, int precision, bool alternate, bool noType)
    {
        var (_, exp) = Significant(x, precision);
        string text;
        if (exp >= -4 && exp < precision)
        {
            text = Fixed(x, precision - 1 - exp, alternate);
            if (!alternate && text.Contains('.')) text = text.TrimEnd('0').TrimEnd('.');
            if (noType && !text.Contains('.')) text += ".0";
        }
        else
        {
            text = Exponent(x, precision - 1, alternate);
            if (!alternate)
            {
                var e = text.IndexOf('e');
                var mantissa = text[..e];
                if (mantissa.Contains('.')) mantissa = mantissa.TrimEnd('0').TrimEnd('.');
                text = mantissa + text[e..];
            }
        }
        return text;
    }

    /// <summary>printf-style <c>format % args</c> (and the <c>format</c> filter).</summary>
    public static string Percent(Renderer r, string format, Value args) =>
        Percent(r, format, args is ListValue { Kind: SequenceKind.Tuple } t ? t.Items : [args], args as DictValue);

    public static string Percent(Renderer r, string format, Arguments args)
    {
        if (args.Positional.Count > 0 && args.Named.Count > 0)
            throw new TemplateException("can't handle positional and keyword arguments at the same time");
        if (args.Named.Count == 0) return Percent(r, format, args.Positional, null);
        var mapping = new DictValue();
        foreach (var (key, value) in args.Named) mapping.Set(key, value);
        return Percent(r, format, [], mapping);
    }

    private static string Percent(Renderer r, string format, List<Value> values, DictValue? mapping)
    {
        var sb = new StringBuilder();
        var next = 0;
        var usedMapping = false;
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%')
            {
                sb.Append(format[i]);
                continue;
            }
            if (++i >= format.Length) throw new TemplateException("incomplete format");
            Value? value = null;
            if (format[i] == '(')
            {
                var close = format.IndexOf(')', i);
                if (close < 0) throw new TemplateException("incomplete format key");
                if (mapping is null) throw new TemplateException("format requires a mapping");
                if (!mapping.TryGet(format[(i + 1)..close], out var found)) throw new TemplateException($"'{format[(i + 1)..close]}'");
                value = found;
                usedMapping = true;
                i = close + 1;
            }
            var flags = "";
            while (i < format.Length && format[i] is '-' or '+' or ' ' or '#' or '0') flags += format[i++];
            var width = 0;
            while (i < format.Length && char.IsAsciiDigit(format[i])) width = checked(width * 10 + format[i++] - '0');
            var precision = -1;
            if (i < format.Length && format[i] == '.')
            {
                i++;
                precision = 0;
                while (i < format.Length && char.IsAsciiDigit(format[i])) precision = checked(precision * 10 + format[i++] - '0');
            }
            if (i >= format.Length) throw new TemplateException("incomplete format");
            var type = format[i];
            if (type == '%')
            {
                sb.Append('%');
                continue;
            }
            if (value is null)
            {
                if (next >= values.Count) throw new TemplateException("not enough arguments for format string");
                value = values[next++];
            }
            var spec = new StringBuilder();
            if (flags.Contains('-')) spec.Append('<');
            else if (flags.Contains('0') && type is not ('s' or 'r' or 'a' or 'c')) spec.Append('0');
            else spec.Append('>');
            if (spec[0] == '0') spec.Clear().Append("0");
            var signFlag = flags.Contains('+') ? "+" : flags.Contains(' ') ? " " : "";
            var body = type switch
            {
                's' => PythonRepr.Str(value),
                'r' or 'a' => PythonRepr.Of(value),
                'c' => value is StringValue s ? s.Value : CodePoints.Text((int)((IntValue)value).Value),
                'd' or 'i' or 'u' => FormatValue(ToNumber(value, true), signFlag + "d"),
                'x' or 'X' or 'o' => FormatValue(ToNumber(value, true), signFlag + (flags.Contains('#') ? "#" : "") + type),
                'e' or 'E' or 'f' or 'F' or 'g' or 'G' => FormatValue(ToNumber(value, false), signFlag + (flags.Contains('#') ? "#" : "") + (precision >= 0 ? "." + precision.ToString(CultureInfo.InvariantCulture) : type is 'g' or 'G' ? "" : ".6") + type),
                _ => throw new TemplateException($"unsupported format character '{type}' (0x{(int)type:x}) at index {i}"),
            };
            if (type is 's' or 'r' or 'a' && precision >= 0 && body.Length > precision) body = body[..precision];
            if (width > body.Length)
            {
                if (flags.Contains('-')) body = body.PadRight(width);
                else if (spec[0] == '0' && body.Length > 0 && body[0] is '-' or '+' or ' ') body = body[0] + body[1..].PadLeft(width - 1, '0');
                else body = body.PadLeft(width, spec[0] == '0' ? '0' : ' ');
            }
            sb.Append(body);
            r.CheckLength(sb.Length);
        }
        if (!usedMapping && mapping is null && next < values.Count)
            throw new TemplateException("not all arguments converted during string formatting");
        return sb.ToString();
    }

    private static Value ToNumber(Value v, bool integer)
    {
        if (!PythonEquality.TryNumber(v, out var n))
            throw new TemplateException($"%{(integer ? "d" : "f")} format: a real number is required, not {v.TypeName}");
        if (!integer) return new FloatValue(n.Float);
        return new IntValue(n.IsFloat ? (long)Math.Truncate(n.Float) : n.Int);
    }
}
