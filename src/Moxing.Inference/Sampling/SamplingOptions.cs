namespace Moxing.Inference.Sampling;

/// <summary>How the next token is chosen from the logits; the defaults leave the distribution untouched.</summary>
public sealed record SamplingOptions
{
    /// <summary>Softmax temperature; 0 picks the most likely token (greedy).</summary>
    public float Temperature { get; init; } = 1f;
    /// <summary>Keep only the k most likely tokens (0: all).</summary>
    public int TopK { get; init; }
    /// <summary>Keep the smallest set of tokens whose probability sum reaches p (1: all).</summary>
    public float TopP { get; init; } = 1f;
    /// <summary>Drop tokens less likely than min_p × the top token's probability (0: none).</summary>
    public float MinP { get; init; }
    /// <summary>CTRL-style penalty dividing positive (multiplying negative) logits of tokens already seen (1: none).</summary>
    public float RepetitionPenalty { get; init; } = 1f;
    /// <summary>OpenAI-style penalty subtracted once from the logit of every token already generated.</summary>
    public float PresencePenalty { get; init; }
    /// <summary>OpenAI-style penalty subtracted per occurrence of a token already generated.</summary>
    public float FrequencyPenalty { get; init; }
    /// <summary>
    /// When positive, every penalty sees only the last this many tokens of prompt and reply together, counted there — llama.cpp's
    /// and Ollama's repeat_last_n. 0: the repetition penalty sees the whole prompt and reply, presence and frequency the reply
    /// (transformers and OpenAI).
    /// </summary>
    public int PenaltyWindow { get; init; }
    /// <summary>Seed of the random draw; the same seed gives the same output. Null: a random seed.</summary>
    public ulong? Seed { get; init; }

    /// <summary>OpenAI logit_bias: token id → value added to its logit before anything else (−100..100; ±100 bans or forces).</summary>
    public IReadOnlyDictionary<int, float>? LogitBias { get; init; }

    /// <summary>Greedy decoding.</summary>
    public static SamplingOptions Greedy { get; } = new() { Temperature = 0f };

    /// <summary>True when any penalty changes logits.</summary>
    public bool HasPenalties => RepetitionPenalty != 1f || PresencePenalty != 0f || FrequencyPenalty != 0f;

    /// <summary>True when the choice is deterministic argmax.</summary>
    public bool IsGreedy => Temperature <= 0f || TopK == 1;

    /// <summary>Throws ArgumentException naming the first out-of-range value.</summary>
    public void Validate()
    {
        if (!(Temperature >= 0 && float.IsFinite(Temperature))) throw new ArgumentException($"temperature must be ≥ 0, got {Temperature}");
        if (TopK < 0) throw new ArgumentException($"top_k must be ≥ 0, got {TopK}");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"top_p must be in (0, 1], got {TopP}");
        if (!(MinP >= 0 && MinP <= 1)) throw new ArgumentException($"min_p must be in [0, 1], got {MinP}");
        if (!(RepetitionPenalty > 0 && float.IsFinite(RepetitionPenalty))) throw new ArgumentException($"repetition penalty must be > 0, got {RepetitionPenalty}");
        if (!float.IsFinite(PresencePenalty)) throw new ArgumentException("presence penalty must be finite");
        if (!float.IsFinite(FrequencyPenalty)) throw new ArgumentException("frequency penalty must be finite");
        if (PenaltyWindow < 0) throw new ArgumentException($"the penalty window must be ≥ 0, got {PenaltyWindow}");
        if (LogitBias is not null)
            foreach (var (id, bias) in LogitBias)
            {
                if (id < 0) throw new ArgumentException($"logit_bias token id must be ≥ 0, got {id}");
                if (!(bias >= -100 && bias <= 100)) throw new ArgumentException($"logit_bias for token {id} must be in [-100, 100], got {bias}");
            }
    }
}
