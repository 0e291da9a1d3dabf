using Moxing.Text.Tokenization.Patterns;

namespace Moxing.Text.Tokenization.PreTokenizers;

/// <summary>SentencePiece's metaspace: spaces become ▁, an optional ▁ prefix, optional split before each ▁.</summary>
internal sealed class MetaspacePreTokenizer(char replacement, PrependScheme prependScheme, bool split) : IPreTokenizer
{
    private readonly LiteralPattern _replacementPattern = new(replacement.ToString());

    /// <inheritdoc/>
    public void PreTokenize(TextPiece piece, List<TextPiece> output)
    {
        string text = piece.Span.ToString().Replace(' ', replacement);
        bool prepend = prependScheme switch
        {
            PrependScheme.Always => !text.StartsWith(replacement),
            PrependScheme.First => !text.StartsWith(replacement) && piece.AtOrigin,
            _ => false,
        };
        int origin = piece.OriginPrefix;
        if (prepend)
        {
            text = replacement + text;
            if (origin > 0) origin++;
        }
        piece = piece.WithText(text, origin);
        if (split) PieceSplitter.Split(piece, _replacementPattern, SplitDelimiterBehavior.MergedWithNext, output);
        else if (piece.Length > 0) output.Add(piece);
    }
}
