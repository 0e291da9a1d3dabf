using System.Buffers;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Moxing.Text.Tokenization.Patterns;

/// <summary>
/// An Oniguruma regex run by .NET. .NET matches UTF-16 units, so \p{L} never matches an astral letter; text
/// with surrogate pairs is matched on a copy where each astral code point is one BMP char of the same
/// general category, and the offsets are mapped back.
/// </summary>
internal sealed class OnigRegex : ITextPattern
{
    // A BMP stand-in for each UnicodeCategory, chosen away from the ranges tokenizer regexes spell out.
    private static readonly char[] CategoryStandIns =
    [
        '\uA722', '\uA723', '\u01C5', '\uA770', '\uA840', '\uA8C4', '\uA8B4', '\u20DD', '\uA8D0', '\uA6E6', '\uA830',
        '\u2000', '\u2028', '\u2029', '\u0080', '\u2064', '\uD800', '\uE000', '\u203F', '\u2E3A', '\u2E28', '\u2E29',
        '\u2E1C', '\u2E1D', '\uA8CE', '\u2A00', '\u20BD', '\uA700', '\uA828', '\u0378',
    ];

    // A pathological pattern from a tokenizer file must not hang encoding; real tokenizer regexes run in microseconds.
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(10);

    private readonly Regex _regex;
    private readonly string _pattern;

    /// <summary>Compiles an Oniguruma pattern; throws FormatException when it cannot be expressed in .NET.</summary>
    public OnigRegex(string pattern)
    {
        _pattern = pattern;
        string translated = OnigurumaTranslator.Translate(pattern);
        try
        {
            _regex = new Regex(translated, RegexOptions.CultureInvariant | RegexOptions.Multiline | RegexOptions.Compiled, MatchTimeout);
        }
        catch (ArgumentException e)
        {
            throw new FormatException(e.Message, e);
        }
    }

    /// <summary>The stand-ins as class members (\x{…} escapes), for a class that must not take astral text in.</summary>
    internal static string StandIns { get; } =
        string.Concat(CategoryStandIns.Where(c => !char.IsSurrogate(c)).Select(c => $"\\x{{{(int)c:X4}}}"));

    /// <summary>The BMP char standing in for an astral code point's category.</summary>
    internal static char StandIn(UnicodeCategory category) => CategoryStandIns[(int)category];

    /// <summary>Appends the [start, end) of each match, skipping an empty match right after a match (as Oniguruma's find_iter does).</summary>
    public void Matches(ReadOnlySpan<char> text, List<(int Start, int End)> output)
    {
        if (text.IndexOfAnyInRange('\uD800', '\uDFFF') < 0)
        {
            Collect(text, output, null);
            return;
        }
        char[] mapped = ArrayPool<char>.Shared.Rent(text.Length);
        int[] offsets = ArrayPool<int>.Shared.Rent(text.Length + 1);
        try
        {
            int n = 0;
            for (int i = 0; i < text.Length; i++)
            {
                offsets[n] = i;
                char c = text[i];
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    c = StandIn(CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, text[i + 1])));
                    i++;
                }
                mapped[n++] = c;
            }
            offsets[n] = text.Length;
            Collect(mapped.AsSpan(0, n), output, offsets);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(mapped);
            ArrayPool<int>.Shared.Return(offsets);
        }
    }

    /// <inheritdoc/>
    public void FindMatches(ReadOnlySpan<char> text, List<SplitRange> output)
    {
        if (text.IsEmpty)
        {
            output.Add(new SplitRange(0, 0, false));
            return;
        }
        var matches = new List<(int Start, int End)>();
        Matches(text, matches);
        int previous = 0;
        foreach (var (start, end) in matches)
        {
            if (previous != start) output.Add(new SplitRange(previous, start, false));
            output.Add(new SplitRange(start, end, true));
            previous = end;
        }
        if (previous != text.Length) output.Add(new SplitRange(previous, text.Length, false));
    }

    private void Collect(ReadOnlySpan<char> text, List<(int Start, int End)> output, int[]? offsets)
    {
        int lastEnd = -1;
        try
        {
            foreach (ValueMatch m in _regex.EnumerateMatches(text))
            {
                int start = m.Index, end = m.Index + m.Length;
                if (start == end && start == lastEnd) continue;
                lastEnd = end;
                output.Add(offsets is null ? (start, end) : (offsets[start], offsets[end]));
            }
        }
        catch (RegexMatchTimeoutException e)
        {
            throw new TokenizerException($"the tokenizer regex '{_pattern}' took longer than {MatchTimeout.TotalSeconds} s on a {text.Length}-char input", e);
        }
    }
}
