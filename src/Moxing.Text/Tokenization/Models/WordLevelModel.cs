namespace Moxing.Text.Tokenization.Models;

/// <summary>One token per pre-tokenized word (Hugging Face models::wordlevel::WordLevel).</summary>
internal sealed class WordLevelModel(Vocabulary vocabulary, string unkToken) : ITokenModel
{
    /// <inheritdoc/>
    public Vocabulary Vocabulary { get; } = vocabulary;

    /// <summary>The token for words outside the vocabulary.</summary>
    public string UnkToken { get; } = unkToken;

    /// <inheritdoc/>
    public void Tokenize(ReadOnlySpan<char> piece, List<int> ids)
    {
        if (Vocabulary.TryGetId(piece, out int id) || Vocabulary.TryGetId(UnkToken, out id))
        {
            ids.Add(id);
            return;
        }
        throw new TokenizerException($"WordLevel unk_token '{UnkToken}' is not in the vocabulary");
    }
}
