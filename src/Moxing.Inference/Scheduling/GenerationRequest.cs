using Moxing.Inference.Constraints;
using Moxing.Inference.Generation;
using Moxing.Inference.Sampling;

namespace Moxing.Inference.Scheduling;

/// <summary>One generation a client asks an engine for: prompt token ids in, sampled token ids out.</summary>
public sealed record GenerationRequest
{
    /// <summary>The prompt, already templated and tokenized.</summary>
    public required int[] PromptIds { get; init; }

    /// <summary>
    /// Embeddings that replace prompt positions (images' soft tokens, whose placeholder ids are in <see cref="PromptIds"/>), sorted by
    /// position and within the prompt; cached prefixes are keyed by each span's content hash. Empty: a text prompt.
    /// </summary>
    public IReadOnlyList<Models.Decoder.EmbeddedSpan> Spans { get; init; } = [];

    /// <summary>How each token is chosen.</summary>
    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>Token budget and the ids that end the generation.</summary>
    public required GenerationLimits Limits { get; init; }

    /// <summary>Restricts the tokens allowed at each step (JSON schema, grammar); null: any token.</summary>
    public ITokenConstraint? Constraint { get; init; }

    /// <summary>How many most-likely alternatives to report with each token (0: none); the chosen token's log-probability is reported when <see cref="Logprobs"/>.</summary>
    public int TopLogprobs { get; init; }

    /// <summary>Report the log-probability of each generated token.</summary>
    public bool Logprobs { get; init; }

    /// <summary>
    /// Score the prompt: before any generated token, every prompt token comes back marked <see cref="GeneratedToken.InPrompt"/>,
    /// the first without a log-probability, each later one with its log-probability given the tokens before it (and
    /// <see cref="TopLogprobs"/> alternatives). The whole prompt is computed (no cached prefix). With it, a budget of 0 tokens
    /// is allowed: the prompt is only scored.
    /// </summary>
    public bool ScorePrompt { get; init; }

    /// <summary>Who asked (tenant id) for fair scheduling and metering; null: the anonymous tenant.</summary>
    public string? Tenant { get; init; }

    /// <summary>Larger runs first among requests of the same tenant.</summary>
    public int Priority { get; init; }

    /// <summary>The tenant's share of a saturated engine under weighted fair queuing (positive; 2 gets twice the admissions of 1).</summary>
    public double Weight { get; init; } = 1;

    /// <summary>Time the request may take from submission to its end (queue time included); null: the engine's default.</summary>
    public TimeSpan? Timeout { get; init; }
}
