using System.Text;
using System.Text.Json;
using Moxing.Inference.Constraints.Grammar;

namespace Moxing.Inference.Constraints.Json;

internal sealed partial class JsonSchemaCompiler
{
    // Integers have at most this many digits (and no exponent), so every generated integer is exact in a double.
    private const int MaxIntegerDigits = 15;
    private const int MaxFractionDigits = 15;
    private const int MaxLengthExpansion = 10_000;

    private static readonly Dictionary<string, string> FormatPatterns = new(StringComparer.Ordinal)
    {
        ["date"] = $"^{Date}$",
        ["time"] = $"^{Time}$",
        ["date-time"] = $"^{Date}T{Time}$",
        ["uuid"] = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        ["email"] = "^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.[A-Za-z]{2,24}$",
        ["ipv4"] = "^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$",
    };

    // Every day this allows exists in every year (no 29 February), so the generated date is always real.
    private const string Date = "[0-9]{4}-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)";
    private const string Time = "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9]|[+-]14:00)";

    /// <summary>A quoted JSON string whose content is a run of <paramref name="character"/>.</summary>
    private Symbol StringOf(Symbol character) =>
        Builder.Sequence(Builder.Literal("\""), Builder.Repeat(character, 0, -1), Builder.Literal("\""));

    /// <summary>One character of JSON string content: an unescaped character or an escape (never a lone surrogate).</summary>
    public Symbol StringChar()
    {
        if (_stringChar is { } c) return c;
        var hex = Builder.Bytes(ByteClass.OfChars("0123456789abcdefABCDEF"));
        var unicode = Builder.Choice(
            Builder.Sequence(Builder.Bytes(ByteClass.OfChars("0123456789abcABC")), hex, hex, hex),
            Builder.Sequence(Builder.Bytes(ByteClass.OfChars("dD")), Builder.Bytes(ByteClass.Range('0', '7')), hex, hex),
            Builder.Sequence(Builder.Bytes(ByteClass.OfChars("eEfF")), hex, hex, hex));
        var escape = Builder.Sequence(Builder.Literal("\\"),
            Builder.Choice(Builder.Bytes(ByteClass.OfChars("\"\\/bfnrt")), Builder.Sequence(Builder.Literal("u"), unicode)));
        _stringChar = Builder.Choice(PlainChar(), escape);
        return _stringChar.Value;
    }

    // An unescaped character: printable ASCII except quote and backslash, or any non-ASCII character.
    private Symbol PlainChar() => Builder.Choice(
        Builder.Bytes(ByteClass.Range(0x20, 0x7F).Except(ByteClass.OfChars("\"\\"))),
        Utf8Ranges.Symbol(Builder, [(0x80, 0x10FFFF)]));

    private Symbol String(JsonElement schema, string path)
    {
        var min = Count(schema, "minLength", path);
        var max = Count(schema, "maxLength", path);
        string? pattern = null;
        if (schema.TryGetProperty("format", out var format))
        {
            var name = format.ValueKind == JsonValueKind.String ? format.GetString()! : "";
            if (!FormatPatterns.TryGetValue(name, out pattern))
                throw new UnsupportedSchemaException("format", $"{path}/format", $"format '{name}' cannot be enforced (supported: {string.Join(", ", FormatPatterns.Keys)})");
            if (schema.TryGetProperty("pattern", out _)) throw new UnsupportedSchemaException("pattern", $"{path}/pattern", "pattern together with format is not supported");
        }
        if (schema.TryGetProperty("pattern", out var p))
        {
            if (p.ValueKind != JsonValueKind.String) throw new UnsupportedSchemaException("pattern", $"{path}/pattern", "pattern must be a string");
            pattern = p.GetString()!;
        }
        if (pattern is not null)
        {
            if (min is not null || max is not null)
                throw new UnsupportedSchemaException(min is not null ? "minLength" : "maxLength", path, "length limits together with pattern or format are not supported");
            var where = schema.TryGetProperty("pattern", out _) ? $"{path}/pattern" : $"{path}/format";
            return Builder.Sequence(Builder.Literal("\""), new RegexGrammar(Builder, StringChar(), where).Compile(pattern), Builder.Literal("\""));
        }
        if (min is null && max is null) return StringOf(StringChar());
        var lo = min ?? 0;
        if (lo > max) throw new UnsupportedSchemaException("minLength", $"{path}/minLength", "minLength exceeds maxLength");
        if (lo > MaxLengthExpansion || (max is { } m && m - lo > MaxLengthExpansion))
            throw new UnsupportedSchemaException(max is null ? "minLength" : "maxLength", path, $"string lengths beyond {MaxLengthExpansion} cannot be enforced");
        return Builder.Sequence(Builder.Literal("\""), Builder.Repeat(StringChar(), lo, max ?? -1), Builder.Literal("\""));
    }

    // A key that is none of names, written without escapes: a trie over the names whose every node may leave it.
    private Symbol KeyExcept(List<string> names)
    {
        var plain = PlainChar();
        var closeQuote = Builder.Literal("\"");
        var free = Builder.Sequence(Builder.Repeat(plain, 0, -1), closeQuote);
        var excluded = new List<byte[]>();
        foreach (var n in names)
            if (n.IndexOfAny(['"', '\\']) < 0 && !n.Any(char.IsControl)) excluded.Add(Encoding.UTF8.GetBytes(n));
        var key = Builder.Sequence(Builder.Literal("\""), KeyNode(excluded, 0, plain, free, closeQuote));
        return key;
    }

    // Rest of a key after `depth` bytes that all names in `names` share.
    private Symbol KeyNode(List<byte[]> names, int depth, Symbol plain, Symbol free, Symbol closeQuote)
    {
        var rule = Builder.NewRule();
        var terminal = false;
        var children = new SortedDictionary<byte, List<byte[]>>();
        foreach (var n in names)
        {
            if (n.Length == depth) terminal = true;
            else
            {
                if (!children.TryGetValue(n[depth], out var list)) children[n[depth]] = list = [];
                list.Add(n);
            }
        }
        var atBoundary = names.Count == 0 || Utf8Ranges.IsCharBoundary(names[0].AsSpan(0, depth));
        if (atBoundary)
        {
            if (!terminal) Builder.Add(rule, closeQuote);
            var others = ByteClass.Range(0x20, 0x7F).Except(ByteClass.OfChars("\"\\"));
            foreach (var b in children.Keys) others = others.Except(ByteClass.Of(b));
            if (!others.IsEmpty) Builder.Add(rule, Builder.Bytes(others), free);
            if (children.Count == 0) Builder.Add(rule, plain, free);
        }
        foreach (var (b, list) in children) Builder.Add(rule, Builder.Bytes(ByteClass.Of(b)), KeyNode(list, depth + 1, plain, free, closeQuote));
        return rule;
    }

    private Symbol Number(bool integer, bool nonNegative)
    {
        var digit = Builder.Bytes(ByteClass.Range('0', '9'));
        var whole = Builder.Choice(Builder.Literal("0"),
            Builder.Sequence(Builder.Bytes(ByteClass.Range('1', '9')), Builder.Repeat(digit, 0, MaxIntegerDigits - 1)));
        var sign = nonNegative ? Builder.Empty : Builder.Optional(Builder.Literal("-"));
        if (integer) return Builder.Sequence(sign, whole);
        var fraction = Builder.Optional(Builder.Sequence(Builder.Literal("."), Builder.Repeat(digit, 1, MaxFractionDigits)));
        // Two exponent digits keep every value finite as a double.
        var exponent = Builder.Optional(Builder.Sequence(Builder.Bytes(ByteClass.OfChars("eE")),
            Builder.Optional(Builder.Bytes(ByteClass.OfChars("+-"))), Builder.Repeat(digit, 1, 2)));
        return Builder.Sequence(sign, whole, fraction, exponent);
    }

    private Symbol NumberOf(JsonElement schema, string path)
    {
        var bounded = false;
        foreach (var k in (string[])["maximum", "exclusiveMinimum", "exclusiveMaximum"])
            if (schema.TryGetProperty(k, out _)) throw new UnsupportedSchemaException(k, $"{path}/{k}", "bounds on non-integer numbers are not supported (use type integer)");
        if (schema.TryGetProperty("minimum", out var minimum))
        {
            if (minimum.ValueKind != JsonValueKind.Number || minimum.GetDecimal() != 0)
                throw new UnsupportedSchemaException("minimum", $"{path}/minimum", "only minimum 0 is supported on non-integer numbers (use type integer)");
            bounded = true;
        }
        return Number(integer: false, nonNegative: bounded);
    }

    private Symbol Integer(JsonElement schema, string path)
    {
        var limit = (long)Math.Pow(10, MaxIntegerDigits) - 1;
        var lo = Bound(schema, "minimum", "exclusiveMinimum", path, lower: true);
        var hi = Bound(schema, "maximum", "exclusiveMaximum", path, lower: false);
        if (lo is null && hi is null) return Number(integer: true, nonNegative: false);
        var from = Math.Max(lo ?? -limit, -limit);
        var to = Math.Min(hi ?? limit, limit);
        if (from > to) throw new UnsupportedSchemaException("minimum", path, "no integer lies within the bounds");
        return IntegerRange.Symbol(Builder, from, to);
    }

    // The tightest integer bound from an inclusive and an exclusive keyword (draft 4's boolean exclusives too).
    private static long? Bound(JsonElement schema, string inclusive, string exclusive, string path, bool lower)
    {
        decimal? best = null;
        var exclusiveFlag = schema.TryGetProperty(exclusive, out var ex) && ex.ValueKind == JsonValueKind.True;
        if (schema.TryGetProperty(inclusive, out var inc))
        {
            var v = Decimal(inc, inclusive, path);
            best = exclusiveFlag ? (lower ? Math.Floor(v) + 1 : Math.Ceiling(v) - 1) : (lower ? Math.Ceiling(v) : Math.Floor(v));
        }
        if (ex.ValueKind == JsonValueKind.Number)
        {
            var v = Decimal(ex, exclusive, path);
            var b = lower ? Math.Floor(v) + 1 : Math.Ceiling(v) - 1;
            best = best is null ? b : lower ? Math.Max(best.Value, b) : Math.Min(best.Value, b);
        }
        if (best is null) return null;
        return (long)Math.Clamp(best.Value, -1e17m, 1e17m);
    }

    private static decimal Decimal(JsonElement v, string keyword, string path) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetDecimal(out var d)
            ? d
            : throw new UnsupportedSchemaException(keyword, $"{path}/{keyword}", $"{keyword} must be a number");
}
