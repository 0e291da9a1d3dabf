using Moxing.Text.Tokenization.Patterns;
using Moxing.Text.Tokenization.Unicode;

namespace Moxing.Text.Tokenization.PreTokenizers;

/// <summary>
/// Splits at a pattern's matches with a delimiter behavior: Split, WhitespaceSplit, Whitespace, Punctuation,
/// Digits and CharDelimiterSplit are all this with different patterns.
/// </summary>
internal sealed class PatternSplitPreTokenizer(ITextPattern pattern, SplitDelimiterBehavior behavior) : IPreTokenizer
{
    /// <summary>The pattern.</summary>
    public ITextPattern Pattern { get; } = pattern;

    /// <summary>What happens to the matches.</summary>
    public SplitDelimiterBehavior Behavior { get; } = behavior;

    /// <summary>WhitespaceSplit: splits on whitespace and drops it.</summary>
    public static PatternSplitPreTokenizer WhitespaceSplit() => new(new CodePointPattern(CodePoints.IsWhitespace), SplitDelimiterBehavior.Removed);

    /// <summary>Whitespace: keeps runs of word characters and runs of other non-space characters (\w+|[^\w\s]+).</summary>
    public static PatternSplitPreTokenizer Whitespace() => new(new InvertedPattern(new WordRunPattern()), SplitDelimiterBehavior.Removed);

    /// <summary>Punctuation: splits off each punctuation character.</summary>
    public static PatternSplitPreTokenizer Punctuation(SplitDelimiterBehavior behavior) => new(new CodePointPattern(CodePoints.IsPunctuation), behavior);

    /// <summary>Digits: splits numbers off, one piece per digit when <paramref name="individualDigits"/>.</summary>
    public static PatternSplitPreTokenizer Digits(bool individualDigits) => new(new CodePointPattern(CodePoints.IsNumeric),
        individualDigits ? SplitDelimiterBehavior.Isolated : SplitDelimiterBehavior.Contiguous);

    /// <summary>CharDelimiterSplit: splits on one character and drops it.</summary>
    public static PatternSplitPreTokenizer CharDelimiter(int delimiter) => new(new CodePointPattern(cp => cp == delimiter), SplitDelimiterBehavior.Removed);

    /// <inheritdoc/>
    public void PreTokenize(TextPiece piece, List<TextPiece> output) => PieceSplitter.Split(piece, Pattern, Behavior, output);
}
