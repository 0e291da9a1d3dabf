namespace Moxing.Text.Tokenization.Normalizers;

/// <summary>Puts a fixed string in front of non-empty text.</summary>
internal sealed class PrependNormalizer(string prefix) : INormalizer
{
    /// <summary>The prepended string.</summary>
    public string Prefix { get; } = prefix;

    /// <inheritdoc/>
    public TextPiece Normalize(TextPiece piece)
    {
        if (piece.Length == 0) return piece;
        // Prepended chars align with the first char, so they join its origin alignment.
        int origin = piece.OriginPrefix > 0 ? piece.OriginPrefix + Prefix.Length : 0;
        return piece.WithText(string.Concat(Prefix, piece.Span), origin);
    }
}
