using Moxing.Inference.Constraints;
using Moxing.Inference.Sampling;

namespace Moxing.Server.Generation;

/// <summary>What one choice of a completion asks for, whichever API it came through.</summary>
public sealed record GenerationParameters
{
    /// <summary>How tokens are chosen.</summary>
    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>Most tokens to generate; null: until the context is full.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Keep generating past the model's end-of-sequence tokens, up to <see cref="MaxTokens"/> (vLLM's and llama.cpp's ignore_eos).</summary>
    public bool IgnoreEos { get; init; }

    /// <summary>Strings that end the completion (not included in it).</summary>
    public IReadOnlyList<string> Stops { get; init; } = [];

    /// <summary>Decode special tokens into the text (harmony replies, whose channels they mark) instead of leaving them out.</summary>
    public bool SpecialTokensInText { get; init; }

    /// <summary>Special tokens decoded into the text even when the others are left out: the markup of the tool-call format in play.</summary>
    public IReadOnlyCollection<string>? KeptSpecialTokens { get; init; }

    /// <summary>Report each token's log-probability.</summary>
    public bool Logprobs { get; init; }

    /// <summary>Alternatives to report per token.</summary>
    public int TopLogprobs { get; init; }

    /// <summary>Put the prompt before the reply (legacy completions' echo); with <see cref="Logprobs"/> its tokens come scored, the
    /// first without a log-probability. A budget of 0 tokens then only echoes (and scores) the prompt.</summary>
    public bool Echo { get; init; }

    /// <summary>Added to the logits of the given token ids before sampling (OpenAI logit_bias); null: none.</summary>
    public IReadOnlyDictionary<int, float>? LogitBias { get; init; }

    /// <summary>Builds the per-request constraint (JSON schema, grammar); null: none. Called once per choice, as constraints are stateful.</summary>
    public Func<Moxing.Models.LoadedModel, ITokenConstraint>? Constraint { get; init; }

    /// <summary>Image embeddings in place of the prompt's placeholder tokens (<see cref="PromptImages"/>); empty: a text prompt.</summary>
    public IReadOnlyList<Moxing.Models.Decoder.EmbeddedSpan> Spans { get; init; } = [];

    /// <summary>The tenant asking, for fair scheduling; null: the anonymous tenant.</summary>
    public string? Tenant { get; init; }

    /// <summary>Larger runs first among the tenant's own waiting requests.</summary>
    public int Priority { get; init; }

    /// <summary>The tenant's share of a saturated model under weighted fair queuing.</summary>
    public double Weight { get; init; } = 1;

    /// <summary>These parameters decoding the reply as <paramref name="reasoning"/> needs it (a harmony reply with its special tokens)
    /// and, with <paramref name="tools"/> in play, with the markup of their format kept where the vocabulary holds it as special tokens.</summary>
    public GenerationParameters DecodingFor(ReasoningParsing? reasoning, ToolCallParsing? tools = null) => this with
    {
        SpecialTokensInText = SpecialTokensInText || reasoning is { Harmony: true },
        KeptSpecialTokens = tools is null ? KeptSpecialTokens : Moxing.Inference.Tools.ToolCallFormats.Markers(tools.Format),
    };

    /// <summary>The same parameters for choice <paramref name="index"/> of n: a seeded request gets seed + index, so choices differ yet repeat.</summary>
    public GenerationParameters ForChoice(int index) =>
        index == 0 || Sampling.Seed is not { } seed ? this : this with { Sampling = Sampling with { Seed = unchecked(seed + (ulong)index) } };
}
