using Moxing.Text.Tokenization.Patterns;

namespace Moxing.Text.Tokenization.PreTokenizers;

/// <summary>Cuts a piece at a pattern's matches with a delimiter behavior (Hugging Face NormalizedString::split).</summary>
internal static class PieceSplitter
{
    [ThreadStatic] private static List<SplitRange>? _matches;
    [ThreadStatic] private static List<SplitRange>? _splits;

    /// <summary>Appends the non-empty sub-pieces of <paramref name="piece"/> to <paramref name="output"/>.</summary>
    public static void Split(TextPiece piece, ITextPattern pattern, SplitDelimiterBehavior behavior, List<TextPiece> output)
    {
        var matches = _matches ??= [];
        var splits = _splits ??= [];
        matches.Clear();
        splits.Clear();
        pattern.FindMatches(piece.Span, matches);
        Arrange(matches, behavior, splits);
        foreach (var split in splits)
        {
            if (split.IsMatch || split.End == split.Start) continue;
            output.Add(piece.Slice(split.Start, split.End - split.Start));
        }
    }

    // Produces the pieces to keep; IsMatch marks the ones to remove.
    private static void Arrange(List<SplitRange> matches, SplitDelimiterBehavior behavior, List<SplitRange> splits)
    {
        switch (behavior)
        {
            case SplitDelimiterBehavior.Removed:
                splits.AddRange(matches);
                return;
            case SplitDelimiterBehavior.Isolated:
                foreach (var m in matches) splits.Add(m with { IsMatch = false });
                return;
            case SplitDelimiterBehavior.Contiguous:
                {
                    bool previousMatch = false;
                    foreach (var m in matches)
                    {
                        if (m.IsMatch == previousMatch && splits.Count > 0) splits[^1] = splits[^1] with { End = m.End };
                        else splits.Add(m with { IsMatch = false });
                        previousMatch = m.IsMatch;
                    }
                    return;
                }
            case SplitDelimiterBehavior.MergedWithPrevious:
                {
                    bool previousMatch = false;
                    foreach (var m in matches)
                    {
                        if (m.IsMatch && !previousMatch && splits.Count > 0) splits[^1] = splits[^1] with { End = m.End };
                        else splits.Add(m with { IsMatch = false });
                        previousMatch = m.IsMatch;
                    }
                    return;
                }
            case SplitDelimiterBehavior.MergedWithNext:
                {
                    bool previousMatch = false;
                    for (int i = matches.Count - 1; i >= 0; i--)
                    {
                        var m = matches[i];
                        if (m.IsMatch && !previousMatch && splits.Count > 0) splits[^1] = splits[^1] with { Start = m.Start };
                        else splits.Add(m with { IsMatch = false });
                        previousMatch = m.IsMatch;
                    }
                    splits.Reverse();
                    return;
                }
        }
    }
}
