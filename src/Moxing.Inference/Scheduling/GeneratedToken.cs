namespace Moxing.Inference.Scheduling;

/// <summary>A token id with its log-probability under the model's distribution.</summary>
/// <param name="Id">Token id.</param>
/// <param name="Logprob">Natural-log probability.</param>
public readonly record struct TokenLogprob(int Id, float Logprob);

/// <summary>One token an engine produced for a request (or, when it scores the prompt, one of the prompt's tokens).</summary>
/// <param name="Id">The sampled token id.</param>
/// <param name="Logprob">Its log-probability (NaN unless the request asked for logprobs, and for a prompt's first token).</param>
/// <param name="TopLogprobs">The most likely alternatives, best first (null unless asked for).</param>
/// <param name="InPrompt">A token of the prompt, scored (<see cref="GenerationRequest.ScorePrompt"/>), not a generated one.</param>
public readonly record struct GeneratedToken(int Id, float Logprob, TokenLogprob[]? TopLogprobs, bool InPrompt = false);
