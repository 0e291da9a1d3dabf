namespace Moxing.Text.Tokenization.Patterns;

/// <summary>A literal string pattern (Hugging Face "String" patterns), matched left to right without overlap.</summary>
internal sealed class LiteralPattern(string literal) : ITextPattern
{
    /// <summary>The literal.</summary>
    public string Literal { get; } = literal;

    /// <inheritdoc/>
    public void FindMatches(ReadOnlySpan<char> text, List<SplitRange> output)
    {
        if (Literal.Length == 0 || text.IsEmpty)
        {
            output.Add(new SplitRange(0, text.Length, false));
            return;
        }
        int previous = 0;
        while (previous <= text.Length - Literal.Length)
        {
            int found = text[previous..].IndexOf(Literal.AsSpan(), StringComparison.Ordinal);
            if (found < 0) break;
            int start = previous + found;
            if (start != previous) output.Add(new SplitRange(previous, start, false));
            output.Add(new SplitRange(start, start + Literal.Length, true));
            previous = start + Literal.Length;
        }
        if (previous != text.Length) output.Add(new SplitRange(previous, text.Length, false));
    }
}
