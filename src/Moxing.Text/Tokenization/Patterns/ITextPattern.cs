namespace Moxing.Text.Tokenization.Patterns;

/// <summary>Something that finds matches in text (a regex, a literal, a character class).</summary>
internal interface ITextPattern
{
    /// <summary>
    /// Appends the matches and the gaps between them, in order, covering all of <paramref name="text"/>
    /// (Hugging Face Pattern::find_matches; empty text gives one empty gap).
    /// </summary>
    void FindMatches(ReadOnlySpan<char> text, List<SplitRange> output);
}
