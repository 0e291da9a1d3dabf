using Moxing.Inference.Sampling;
using Moxing.Inference.Sessions;

namespace Moxing.Inference.Generation;

/// <summary>Why generation ended.</summary>
public enum FinishReason
{
    /// <summary>An end-of-sequence token or a stop string.</summary>
    Stop,
    /// <summary>The token budget (max tokens) was used up.</summary>
    Length,
    /// <summary>The context window is full.</summary>
    ContextFull,
    /// <summary>The consumer asked to stop.</summary>
    Cancelled,
}

/// <summary>Limits of one generation.</summary>
/// <param name="MaxTokens">Most tokens to generate.</param>
/// <param name="StopTokenIds">Ids that end generation (not emitted).</param>
public sealed record GenerationLimits(int MaxTokens, IReadOnlyCollection<int> StopTokenIds);

/// <summary>Prefill + decode loop over a session: samples each token and hands it to a consumer, allocating nothing per token.</summary>
public sealed class TokenGenerator(InferenceSession session, Sampler sampler)
{
    /// <summary>
    /// Feeds <paramref name="prompt"/>, then generates up to <paramref name="limits"/>.MaxTokens tokens, calling
    /// <paramref name="onToken"/> with each; it returns false to stop. A prompt that does not fit the context is an error.
    /// </summary>
    public FinishReason Generate(ReadOnlySpan<int> prompt, GenerationLimits limits, Func<int, bool> onToken, CancellationToken cancellation = default)
    {
        sampler.ObservePrompt(prompt);
        var logits = session.Prefill(prompt);
        for (var produced = 0; produced < limits.MaxTokens; produced++)
        {
            cancellation.ThrowIfCancellationRequested();
            var id = sampler.Sample(logits);
            if (limits.StopTokenIds.Contains(id)) return FinishReason.Stop;
            sampler.Observe(id);
            if (!onToken(id)) return FinishReason.Cancelled;
            if (produced + 1 == limits.MaxTokens) break;
            if (session.Position >= session.Context) return FinishReason.ContextFull;
            logits = session.Decode(id);
        }
        return FinishReason.Length;
    }
}
