using Moxing.Text.Tokenization.Models;
using Moxing.Text.Tokenization.Patterns;

namespace Moxing.Text.Tokenization.PreTokenizers;

/// <summary>
/// GPT-2's byte-level pre-tokenizer: optionally a leading space, optionally the GPT-2 split regex, then each
/// piece's UTF-8 bytes written in the byte alphabet.
/// </summary>
internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : IPreTokenizer
{
    /// <summary>GPT-2's split regex.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private static readonly Lazy<OnigRegex> Gpt2Regex = new(() => new OnigRegex(Gpt2Pattern));

    [ThreadStatic] private static List<TextPiece>? _scratch;

    /// <inheritdoc/>
    public void PreTokenize(TextPiece piece, List<TextPiece> output)
    {
        if (addPrefixSpace && (piece.Length == 0 || piece.Span[0] != ' '))
        {
            piece = piece.WithText(string.Concat(" ", piece.Span), piece.OriginPrefix > 0 ? piece.OriginPrefix + 1 : 0);
        }
        if (!useRegex)
        {
            if (piece.Length > 0) output.Add(Encode(piece));
            return;
        }
        var split = _scratch ??= [];
        split.Clear();
        PieceSplitter.Split(piece, Gpt2Regex.Value, SplitDelimiterBehavior.Isolated, split);
        foreach (var p in split) output.Add(Encode(p));
    }

    private static TextPiece Encode(TextPiece piece) => piece.WithText(ByteLevelAlphabet.Encode(piece.Span), piece.OriginPrefix);
}
