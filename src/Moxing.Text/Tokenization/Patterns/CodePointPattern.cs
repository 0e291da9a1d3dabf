using Moxing.Text.Tokenization.Unicode;

namespace Moxing.Text.Tokenization.Patterns;

/// <summary>Matches single code points that satisfy a predicate (Hugging Face's Fn(char) -> bool patterns).</summary>
internal sealed class CodePointPattern(Func<int, bool> predicate) : ITextPattern
{
    /// <inheritdoc/>
    public void FindMatches(ReadOnlySpan<char> text, List<SplitRange> output)
    {
        if (text.IsEmpty)
        {
            output.Add(new SplitRange(0, 0, false));
            return;
        }
        int lastOffset = 0;
        for (int i = 0; i < text.Length;)
        {
            int cp = CodePoints.At(text, i, out int length);
            if (predicate(cp))
            {
                if (lastOffset < i) output.Add(new SplitRange(lastOffset, i, false));
                output.Add(new SplitRange(i, i + length, true));
                lastOffset = i + length;
            }
            i += length;
        }
        if (text.Length > lastOffset) output.Add(new SplitRange(lastOffset, text.Length, false));
    }
}
