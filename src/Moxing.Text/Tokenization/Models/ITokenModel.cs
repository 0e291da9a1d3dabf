namespace Moxing.Text.Tokenization.Models;

/// <summary>Turns one pre-tokenized piece into token ids (BPE, WordPiece, WordLevel, Unigram …).</summary>
internal interface ITokenModel
{
    /// <summary>The model's vocabulary.</summary>
    Vocabulary Vocabulary { get; }

    /// <summary>Appends the ids of <paramref name="piece"/> to <paramref name="ids"/>.</summary>
    void Tokenize(ReadOnlySpan<char> piece, List<int> ids);
}
