namespace Moxing.Text.Tokenization.Decoders;

/// <summary>CTC: collapses repeated tokens, drops the pad token, turns the word delimiter into spaces.</summary>
internal sealed class CtcDecoder(string padToken, string wordDelimiterToken, bool cleanup) : ITokenDecoder
{
    /// <inheritdoc/>
    public void DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        string? previous = null;
        foreach (string token in tokens)
        {
            if (token == previous) continue;
            previous = token;
            string replaced = token.Replace(padToken, "");
            if (cleanup) replaced = WordPieceDecoder.Cleanup(replaced).Replace(wordDelimiterToken, " ");
            if (replaced.Length > 0) result.Add(replaced);
        }
        tokens.Clear();
        tokens.AddRange(result);
    }
}
