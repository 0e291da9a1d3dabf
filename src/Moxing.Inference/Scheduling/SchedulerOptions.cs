using Moxing.Core.Tensors;
using Moxing.Inference.Sessions;

namespace Moxing.Inference.Scheduling;

/// <summary>Capacity and limits of a <see cref="ContinuousBatchScheduler"/>.</summary>
public sealed record SchedulerOptions
{
    /// <summary>Positions one sequence may hold (prompt + generated); 0: the model's maximum context.</summary>
    public int ContextSize { get; init; }

    /// <summary>Most sequences advanced together in one step.</summary>
    public int MaxRunningSequences { get; init; } = 16;

    /// <summary>Most requests waiting for a slot; a submission beyond it throws <see cref="QueueFullException"/>.</summary>
    public int MaxWaitingRequests { get; init; } = 256;

    /// <summary>Most prompt tokens fed per step (across all prefilling sequences), so a long prompt stalls decoding for at most one chunk.</summary>
    public int PrefillChunkTokens { get; init; } = InferenceSession.DefaultPrefillChunk;

    /// <summary>How keys and values are stored: F16 (default), Q8_0 or F32.</summary>
    public DType KvType { get; init; } = DType.F16;

    /// <summary>
    /// Reuse the keys/values of prompt prefixes seen before (whole blocks); the reused count is reported as cached tokens. A model
    /// with recurrent layers (Qwen3.5, LFM2, Mamba2) reuses a prefix only together with a snapshot of its state there
    /// (<see cref="StateSnapshots"/>); without room for one, caching is off.
    /// </summary>
    public bool PrefixCaching { get; init; } = true;

    /// <summary>
    /// Recurrent-state snapshots the prefix cache keeps for a model with recurrent layers, their bytes out of the KV memory;
    /// -1: one per running sequence (with <see cref="KvMemoryBytes"/> given, at most half of what it holds beyond the running
    /// sequences' states and one context). The scheduler's <see cref="ContinuousBatchScheduler.Options"/> hold the number chosen.
    /// </summary>
    public int StateSnapshots { get; init; } = -1;

    /// <summary>Positions per KV block: the unit of KV memory and of prefix caching.</summary>
    public int KvBlockTokens { get; init; } = 16;

    /// <summary>
    /// Bytes of keys/values all sequences together may hold, the recurrent state of <see cref="MaxRunningSequences"/> sequences
    /// and the <see cref="StateSnapshots"/> included (models with recurrent layers); 0: room for every running sequence at full context, at most 2 GiB (never less than one context).
    /// </summary>
    public long KvMemoryBytes { get; init; }

    /// <summary>Generated tokens buffered per request before its sequence pauses for the reader.</summary>
    public int TokenBufferCapacity { get; init; } = 64;

    /// <summary>Time a request may take from submission to its end unless it sets its own; null: no limit.</summary>
    public TimeSpan? RequestTimeout { get; init; }

    /// <summary>Told the size of every step (metrics); null: nobody.</summary>
    public IStepObserver? StepObserver { get; init; }

    /// <summary>
    /// Draft tokens a decoding sequence may feed beside its last token when its history predicts them (<see cref="PromptLookup"/>):
    /// a step's logits confirm each draft the sampler would have drawn anyway, so the output is the same and repetitive
    /// replies take fewer steps. 0: off. Drafts only use logit rows no running sequence needs. Off for models with recurrent
    /// layers (LFM2), whose state cannot take a rejected draft back.
    /// </summary>
    public int SpeculativeTokens { get; init; }

    /// <summary>Most draft tokens per sequence and step.</summary>
    public const int MaxSpeculativeTokens = 16;

    /// <summary>How a request is admitted against the KV memory: by what it needs now (default) or by its worst case.</summary>
    public KvAdmission Admission { get; init; } = KvAdmission.OnDemand;

    /// <summary>
    /// Fraction of the KV blocks (rounded up) an on-demand admission leaves free beside the running sequences, so that a new
    /// sequence does not take the blocks they are about to grow into (vLLM's watermark); 0 to 1.
    /// </summary>
    public double KvWatermark { get; init; } = 0.01;

    /// <summary>Throws ArgumentException naming the first out-of-range value.</summary>
    public void Validate()
    {
        if (ContextSize < 0) throw new ArgumentException($"context size must be ≥ 0, got {ContextSize}");
        if (MaxRunningSequences < 1) throw new ArgumentException($"max running sequences must be ≥ 1, got {MaxRunningSequences}");
        if (StateSnapshots < -1) throw new ArgumentException($"state snapshots must be ≥ 0 (or -1: automatic), got {StateSnapshots}");
        if (MaxWaitingRequests < 0) throw new ArgumentException($"max waiting requests must be ≥ 0, got {MaxWaitingRequests}");
        if (PrefillChunkTokens < 1) throw new ArgumentException($"prefill chunk must be ≥ 1 token, got {PrefillChunkTokens}");
        if (KvBlockTokens < 1) throw new ArgumentException($"KV block must be ≥ 1 token, got {KvBlockTokens}");
        if (KvMemoryBytes < 0) throw new ArgumentException($"KV memory must be ≥ 0 bytes, got {KvMemoryBytes}");
        if (TokenBufferCapacity < 1) throw new ArgumentException($"token buffer must hold ≥ 1 token, got {TokenBufferCapacity}");
        if (SpeculativeTokens is < 0 or > MaxSpeculativeTokens)
            throw new ArgumentException($"speculative tokens must be 0 to {MaxSpeculativeTokens}, got {SpeculativeTokens}");
        if (RequestTimeout is { } t && t <= TimeSpan.Zero) throw new ArgumentException($"request timeout must be positive, got {t}");
        if (!(KvWatermark is >= 0 and <= 1)) throw new ArgumentException($"KV watermark must be 0 to 1, got {KvWatermark}");
        if (!Enum.IsDefined(Admission)) throw new ArgumentException($"KV admission must be OnDemand or Reserve, got {Admission}");
    }
}
