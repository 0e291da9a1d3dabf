namespace Moxing.Text.Tokenization.Models;

/// <summary>Greedy longest-match-first WordPiece (Hugging Face models::wordpiece::WordPiece).</summary>
internal sealed class WordPieceModel(Vocabulary vocabulary, string unkToken, string continuingSubwordPrefix, int maxInputCharsPerWord)
    : ITokenModel
{
    /// <inheritdoc/>
    public Vocabulary Vocabulary { get; } = vocabulary;

    /// <summary>The token for words that cannot be split.</summary>
    public string UnkToken { get; } = unkToken;

    /// <summary>The marker of a piece that continues a word ("##").</summary>
    public string ContinuingSubwordPrefix { get; } = continuingSubwordPrefix;

    /// <inheritdoc/>
    public void Tokenize(ReadOnlySpan<char> piece, List<int> ids)
    {
        if (piece.IsEmpty) return;
        int codePoints = 0;
        foreach (var _ in piece.EnumerateRunes()) codePoints++;
        if (codePoints > maxInputCharsPerWord)
        {
            ids.Add(UnkId());
            return;
        }
        int first = ids.Count;
        char[] buffer = new char[ContinuingSubwordPrefix.Length + piece.Length];
        ContinuingSubwordPrefix.AsSpan().CopyTo(buffer);
        int start = 0;
        while (start < piece.Length)
        {
            int end = piece.Length;
            int found = -1;
            while (start < end)
            {
                ReadOnlySpan<char> sub = piece[start..end];
                ReadOnlySpan<char> candidate = sub;
                if (start > 0)
                {
                    sub.CopyTo(buffer.AsSpan(ContinuingSubwordPrefix.Length));
                    candidate = buffer.AsSpan(0, ContinuingSubwordPrefix.Length + sub.Length);
                }
                if (Vocabulary.TryGetId(candidate, out found)) break;
                found = -1;
                end -= end - 1 > start && char.IsLowSurrogate(piece[end - 1]) && char.IsHighSurrogate(piece[end - 2]) ? 2 : 1;
            }
            if (found < 0)
            {
                ids.RemoveRange(first, ids.Count - first);
                ids.Add(UnkId());
                return;
            }
            ids.Add(found);
            start = end;
        }
    }

    private int UnkId() => Vocabulary.TryGetId(UnkToken, out int id)
        ? id
        : throw new TokenizerException($"WordPiece unk_token '{UnkToken}' is not in the vocabulary");
}
