namespace Moxing.Inference.Scheduling;

/// <summary>
/// Draft tokens for speculative decoding without a draft model (prompt lookup, vLLM's "ngram" method): the tokens that
/// followed the latest earlier occurrence of the history's last few tokens. Replies that quote or edit their prompt (code,
/// documents, extraction, structured output) repeat long runs of it, and a step then confirms several tokens at once.
/// </summary>
public static class PromptLookup
{
    /// <summary>The longest tail looked up first.</summary>
    public const int LongestNgram = 4;

    /// <summary>The shortest tail looked up: a single token predicts too poorly to pay for the rows it costs.</summary>
    public const int ShortestNgram = 2;

    /// <summary>Fills <paramref name="draft"/> with the tokens that followed the latest earlier occurrence of the last n tokens
    /// of <paramref name="history"/> (n from <see cref="LongestNgram"/> down to <see cref="ShortestNgram"/>, the first n that
    /// occurs), continuing the copy over the drafts themselves where the history ends; returns how many (0: no tail occurs earlier).</summary>
    public static int Propose(ReadOnlySpan<int> history, Span<int> draft)
    {
        if (draft.IsEmpty) return 0;
        for (var n = Math.Min(LongestNgram, history.Length - 1); n >= ShortestNgram; n--)
        {
            var tail = history[^n..];
            for (var start = history.Length - n - 1; start >= 0; start--)
            {
                if (!history.Slice(start, n).SequenceEqual(tail)) continue;
                // copied as if the drafts were already history: past its end the copy reads its own first drafts, so a
                // loop of any period continues for the whole draft (an LZ77-style overlapping copy)
                for (var i = 0; i < draft.Length; i++)
                {
                    var from = start + n + i;
                    draft[i] = from < history.Length ? history[from] : draft[from - history.Length];
                }
                return draft.Length;
            }
        }
        return 0;
    }
}
