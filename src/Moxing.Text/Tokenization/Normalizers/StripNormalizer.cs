using Moxing.Text.Tokenization.Unicode;

namespace Moxing.Text.Tokenization.Normalizers;

/// <summary>Removes leading and/or trailing whitespace.</summary>
internal sealed class StripNormalizer(bool left, bool right) : INormalizer
{
    /// <inheritdoc/>
    public TextPiece Normalize(TextPiece piece)
    {
        ReadOnlySpan<char> span = piece.Span;
        int start = 0, end = span.Length;
        if (left)
        {
            while (start < end && CodePoints.IsWhitespace(span[start])) start++;
        }
        if (right)
        {
            while (end > start && CodePoints.IsWhitespace(span[end - 1])) end--;
        }
        if (start == 0 && end == span.Length) return piece;
        // Stripped leading chars take the origin alignment with them.
        return piece.WithText(span[start..end].ToString(), Math.Max(0, piece.OriginPrefix - start));
    }
}
