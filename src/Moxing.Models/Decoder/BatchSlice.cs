namespace Moxing.Models.Decoder;

/// <summary>Which logits a slice of a batch wants.</summary>
public enum LogitsWanted
{
    /// <summary>None (a prefill chunk that is not the prompt's last).</summary>
    None,
    /// <summary>The last token's: the next-token distribution.</summary>
    Last,
    /// <summary>Every token's (scoring a prompt, speculative verification).</summary>
    All,
}

/// <summary>
/// One sequence's part of a batched forward step: its new tokens, appended at positions Sequence.Length onwards, and the
/// logits wanted back. Rows of logits are written in slice order: none, one, or one per token.
/// </summary>
/// <param name="Sequence">The sequence the tokens extend; at most one slice per sequence in a batch.</param>
/// <param name="Tokens">The new token ids (at least one).</param>
/// <param name="Logits">Which logits to return.</param>
/// <param name="Spans">Embeddings that replace the sequence's placeholder tokens at their positions (images), sorted by position; null: none.</param>
public readonly record struct BatchSlice(SequenceKv Sequence, ReadOnlyMemory<int> Tokens, LogitsWanted Logits = LogitsWanted.Last,
    IReadOnlyList<EmbeddedSpan>? Spans = null)
{
    /// <summary>Rows of logits this slice produces.</summary>
    public int LogitRows => Logits switch
    {
        LogitsWanted.None => 0,
        LogitsWanted.Last => 1,
        _ => Tokens.Length,
    };
}
