namespace Moxing.Text.Tokenization.Decoders;

/// <summary>Glues ##-continuations to the previous token, puts spaces between words, optionally tidies punctuation.</summary>
internal sealed class WordPieceDecoder(string prefix, bool cleanup) : ITokenDecoder
{
    /// <inheritdoc/>
    public void DecodeChain(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            if (i != 0) token = token.StartsWith(prefix, StringComparison.Ordinal) ? token[prefix.Length..] : " " + token;
            tokens[i] = cleanup ? Cleanup(token) : token;
        }
    }

    /// <summary>Hugging Face's wordpiece cleanup of spaces around punctuation and contractions.</summary>
    public static string Cleanup(string text) => text
        .Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",").Replace(" ' ", "'")
        .Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" do not", " don't").Replace(" 's", "'s")
        .Replace(" 've", "'ve").Replace(" 're", "'re");
}
