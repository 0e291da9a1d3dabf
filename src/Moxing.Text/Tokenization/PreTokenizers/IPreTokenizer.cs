namespace Moxing.Text.Tokenization.PreTokenizers;

/// <summary>Splits (and may rewrite) normalized text into the pieces the model tokenizes (Hugging Face PreTokenizer).</summary>
internal interface IPreTokenizer
{
    /// <summary>Appends the non-empty pieces of <paramref name="piece"/> to <paramref name="output"/>.</summary>
    void PreTokenize(TextPiece piece, List<TextPiece> output);
}
