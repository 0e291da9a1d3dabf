using Moxing.Text.Tokenization.Unicode;

namespace Moxing.Text.Tokenization.Patterns;

/// <summary>The regex \w+|[^\w\s]+ as a scanner: runs of word characters or of other non-space characters are matches, whitespace is the gaps.</summary>
internal sealed class WordRunPattern : ITextPattern
{
    /// <inheritdoc/>
    public void FindMatches(ReadOnlySpan<char> text, List<SplitRange> output)
    {
        if (text.IsEmpty)
        {
            output.Add(new SplitRange(0, 0, false));
            return;
        }
        int previous = 0;
        int i = 0;
        while (i < text.Length)
        {
            int cp = CodePoints.At(text, i, out int length);
            int kind = Kind(cp);
            if (kind == 0)
            {
                i += length;
                continue;
            }
            int start = i;
            i += length;
            while (i < text.Length && Kind(CodePoints.At(text, i, out length)) == kind) i += length;
            if (previous != start) output.Add(new SplitRange(previous, start, false));
            output.Add(new SplitRange(start, i, true));
            previous = i;
        }
        if (previous != text.Length) output.Add(new SplitRange(previous, text.Length, false));
    }

    // 0 whitespace, 1 word character, 2 anything else.
    private static int Kind(int cp) => CodePoints.IsWordCharacter(cp) ? 1 : CodePoints.IsWhitespace(cp) ? 0 : 2;
}
