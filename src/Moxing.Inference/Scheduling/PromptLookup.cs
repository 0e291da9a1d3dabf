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

    /// <summary>Writes up to <paramref name="draft"/>.Length tokens that followed the latest earlier occurrence of the last n
    /// tokens of <paramref name="history"/> (n from <see cref="LongestNgram"/> down to <see cref="ShortestNgram"/>, the first n
    /// that occurs); returns how many (0: no tail occurs earlier).</summary>
    public static int Propose(ReadOnlySpan<int> history, Span<int> draft)
    {
        if (draft.IsEmpty) return 0;
        for (var n = Math.Min(LongestNgram, history.Length - 1); n >= ShortestNgram; n--)
        {
            var tail = history[^n..];
            for (var start = history.Length - n - 1; start >= 0; start--)
            {
                if (!history.Slice(start, n).SequenceEqual(tail)) continue;
                var follow = history[(start + n)..];
                var count = Math.Min(draft.Length, follow.Length);
                follow[..count].CopyTo(draft);
                return count;
            }
        }
        return 0;
    }
}
