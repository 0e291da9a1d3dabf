namespace Moxing.Text.Tokenization.Decoders;

/// <summary>Removes up to <c>start</c> leading and <c>stop</c> trailing copies of a character from each token.</summary>
internal sealed class StripDecoder(string content, int start, int stop) : ITokenDecoder
{
    /// <inheritdoc/>
    public void DecodeChain(List<string> tokens)
    {
        for (int t = 0; t < tokens.Count; t++)
        {
            string token = tokens[t];
            var runes = new List<string>();
            foreach (var rune in token.EnumerateRunes()) runes.Add(rune.ToString());
            int startCut = 0;
            for (int i = 0; i < Math.Min(start, runes.Count) && runes[i] == content; i++) startCut = i + 1;
            int stopCut = runes.Count;
            for (int i = 0; i < stop && runes.Count - i - 1 >= 0 && runes[runes.Count - i - 1] == content; i++) stopCut = runes.Count - i - 1;
            tokens[t] = stopCut > startCut ? string.Concat(runes.GetRange(startCut, stopCut - startCut)) : "";
        }
    }
}
