using Moxing.Inference.Generation;

namespace Moxing.Inference.Scheduling;

/// <summary>How a request ended and what it cost, for <c>usage</c> and metering.</summary>
/// <param name="Finish">Why generation ended.</param>
/// <param name="PromptTokens">Prompt tokens of the request.</param>
/// <param name="CachedPromptTokens">Prompt tokens whose keys/values were reused from the prefix cache.</param>
/// <param name="CompletionTokens">Tokens generated.</param>
/// <param name="QueueTime">Time from submission until the first model work for the request.</param>
/// <param name="TimeToFirstToken">Time from submission until the first generated token.</param>
/// <param name="TotalTime">Time from submission until the end.</param>
public sealed record GenerationOutcome(FinishReason Finish, int PromptTokens, int CachedPromptTokens, int CompletionTokens,
    TimeSpan QueueTime, TimeSpan TimeToFirstToken, TimeSpan TotalTime);
