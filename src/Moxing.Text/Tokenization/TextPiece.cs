namespace Moxing.Text.Tokenization;

/// <summary>
/// A slice of text moving through the pipeline. OriginPrefix counts the leading chars that align with the
/// start of the caller's text (Hugging Face alignments), which only Metaspace's "first" scheme needs.
/// </summary>
internal readonly struct TextPiece
{
    public TextPiece(string source, int start, int length, int originPrefix, bool atOrigin)
    {
        Source = source;
        Start = start;
        Length = length;
        OriginPrefix = originPrefix;
        AtOrigin = atOrigin;
    }

    /// <summary>The string the piece is a slice of.</summary>
    public string Source { get; }

    /// <summary>Offset of the piece in Source.</summary>
    public int Start { get; }

    /// <summary>Length of the piece in UTF-16 units.</summary>
    public int Length { get; }

    /// <summary>Leading chars of the piece that align with offset 0 of the original text.</summary>
    public int OriginPrefix { get; }

    /// <summary>Whether the piece starts at offset 0 of the original text (HF offsets_original().0 == 0).</summary>
    public bool AtOrigin { get; }

    /// <summary>The piece's chars.</summary>
    public ReadOnlySpan<char> Span => Source.AsSpan(Start, Length);

    /// <summary>The piece as a string (no copy when it spans all of Source).</summary>
    public string Text => Start == 0 && Length == Source.Length ? Source : Source.Substring(Start, Length);

    /// <summary>A whole string as a piece.</summary>
    public static TextPiece Whole(string text, bool atOrigin)
    {
        int firstChar = text.Length > 1 && char.IsHighSurrogate(text[0]) && char.IsLowSurrogate(text[1]) ? 2 : Math.Min(1, text.Length);
        return new(text, 0, text.Length, atOrigin ? firstChar : 0, atOrigin);
    }

    /// <summary>A sub-slice; it starts at the origin only if all chars before it align there.</summary>
    public TextPiece Slice(int start, int length) =>
        new(Source, Start + start, length, Math.Max(0, OriginPrefix - start), start < OriginPrefix);

    /// <summary>The same piece with transformed text.</summary>
    public TextPiece WithText(string text, int originPrefix) => new(text, 0, text.Length, Math.Min(originPrefix, text.Length), AtOrigin);
}
