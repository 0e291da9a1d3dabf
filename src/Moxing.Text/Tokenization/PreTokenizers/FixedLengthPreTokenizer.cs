namespace Moxing.Text.Tokenization.PreTokenizers;

/// <summary>Cuts text into pieces of a fixed number of characters.</summary>
internal sealed class FixedLengthPreTokenizer(int length) : IPreTokenizer
{
    /// <inheritdoc/>
    public void PreTokenize(TextPiece piece, List<TextPiece> output)
    {
        ReadOnlySpan<char> span = piece.Span;
        int start = 0;
        while (start < span.Length)
        {
            int end = start;
            for (int n = 0; n < length && end < span.Length; n++)
            {
                end += char.IsHighSurrogate(span[end]) && end + 1 < span.Length && char.IsLowSurrogate(span[end + 1]) ? 2 : 1;
            }
            output.Add(piece.Slice(start, end - start));
            start = end;
        }
    }
}
