using Moxing.Inference.Constraints.Grammar;

namespace Moxing.Inference.Constraints.Json;

/// <summary>The grammar of the decimal integers in a closed range, without leading zeros (digit-by-digit ranges).</summary>
internal static class IntegerRange
{
    /// <summary>A symbol matching exactly the integers from <paramref name="lo"/> to <paramref name="hi"/>.</summary>
    public static Symbol Symbol(GrammarBuilder builder, long lo, long hi)
    {
        var options = new List<Symbol>();
        if (lo < 0)
        {
            // -n for n in [max(1, -hi), -lo]
            var magnitude = NonNegative(builder, Math.Max(1, hi < 0 ? -hi : 1), -lo);
            options.Add(builder.Sequence(builder.Literal("-"), magnitude));
        }
        if (hi >= 0) options.Add(NonNegative(builder, Math.Max(lo, 0), hi));
        return options.Count == 1 ? options[0] : builder.Choice(options);
    }

    private static Symbol NonNegative(GrammarBuilder builder, long lo, long hi)
    {
        var options = new List<Symbol>();
        var loDigits = lo.ToString().Length;
        var hiDigits = hi.ToString().Length;
        for (var d = loDigits; d <= hiDigits; d++)
        {
            var first = d == 1 ? 0 : Pow10(d - 1);
            var from = Math.Max(lo, first);
            var to = Math.Min(hi, Pow10(d) - 1);
            if (from <= to) options.Add(SameLength(builder, from.ToString(), to.ToString()));
        }
        return options.Count == 1 ? options[0] : builder.Choice(options);
    }

    private static long Pow10(int n)
    {
        long v = 1;
        for (var i = 0; i < n; i++) v *= 10;
        return v;
    }

    // Strings of digits of one length from x to y (leading zeros allowed: they only occur after a fixed first digit).
    private static Symbol SameLength(GrammarBuilder builder, string x, string y)
    {
        if (x.Length == 0) return builder.Empty;
        if (x == y) return builder.Literal(x);
        var rest = x.Length - 1;
        var digit = builder.Bytes(ByteClass.Range('0', '9'));
        if (x[0] == y[0]) return builder.Sequence(builder.Literal(x[..1]), SameLength(builder, x[1..], y[1..]));
        var options = new List<Symbol>();
        var lowFull = x.AsSpan(1).IndexOfAnyExcept('0') < 0;
        var highFull = y.AsSpan(1).IndexOfAnyExcept('9') < 0;
        var midFrom = lowFull ? x[0] : (char)(x[0] + 1);
        var midTo = highFull ? y[0] : (char)(y[0] - 1);
        if (!lowFull) options.Add(builder.Sequence(builder.Literal(x[..1]), SameLength(builder, x[1..], new string('9', rest))));
        if (midFrom <= midTo) options.Add(builder.Sequence(builder.Bytes(ByteClass.Range(midFrom, midTo)), builder.Repeat(digit, rest, rest)));
        if (!highFull) options.Add(builder.Sequence(builder.Literal(y[..1]), SameLength(builder, new string('0', rest), y[1..])));
        return options.Count == 1 ? options[0] : builder.Choice(options);
    }
}
