using Moxing.Text.Tokenization;

namespace Moxing.Training.Data.Text;

/// <summary>A Hugging Face tokenizer (tokenizer.json) as a text encoder; special tokens are not added.</summary>
public sealed class TokenizerTextEncoder(Tokenizer tokenizer) : ITextEncoder
{
    /// <summary>The wrapped tokenizer.</summary>
    public Tokenizer Tokenizer { get; } = tokenizer;

    /// <inheritdoc />
    public int VocabularySize => Tokenizer.VocabSize;

    /// <inheritdoc />
    public int PadId => Tokenizer.PadTokenId ?? Tokenizer.EosTokenId ?? 0;

    /// <inheritdoc />
    public int[] Encode(string text) => Tokenizer.Encode(text, addSpecialTokens: false);

    /// <inheritdoc />
    public string Decode(ReadOnlySpan<int> ids) => Tokenizer.Decode(ids, skipSpecialTokens: true);

    /// <inheritdoc />
    public string TokenText(int id) => Tokenizer.IdToToken(id) ?? $"<{id}>";
}
