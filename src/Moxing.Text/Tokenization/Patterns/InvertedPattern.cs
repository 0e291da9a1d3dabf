namespace Moxing.Text.Tokenization.Patterns;

/// <summary>Swaps matches and gaps of another pattern (Hugging Face Invert).</summary>
internal sealed class InvertedPattern(ITextPattern inner) : ITextPattern
{
    /// <inheritdoc/>
    public void FindMatches(ReadOnlySpan<char> text, List<SplitRange> output)
    {
        int first = output.Count;
        inner.FindMatches(text, output);
        for (int i = first; i < output.Count; i++) output[i] = output[i] with { IsMatch = !output[i].IsMatch };
    }
}
