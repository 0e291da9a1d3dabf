namespace Moxing.Inference.Scheduling;

/// <summary>A snapshot of a scheduler's state and totals, for metrics.</summary>
/// <param name="Running">Sequences admitted and not yet finished.</param>
/// <param name="Waiting">Requests queued for a slot.</param>
/// <param name="KvBlocksUsed">KV blocks held by running sequences (a block shared by several counts once).</param>
/// <param name="KvBlocksCached">KV blocks only the prefix cache holds: reusable prefixes, evicted when memory is needed.</param>
/// <param name="KvBlocksTotal">KV blocks the memory budget allows.</param>
/// <param name="Steps">Steps run since start.</param>
/// <param name="LastBatchSize">Sequences advanced in the latest step.</param>
/// <param name="LastStepTokens">Tokens (prompt chunks + decoded) fed in the latest step.</param>
/// <param name="PromptTokensComputed">Prompt tokens run through the model since start (recomputed ones not included).</param>
/// <param name="PromptTokensCached">Prompt tokens served from the prefix cache since start.</param>
/// <param name="TokensGenerated">Tokens emitted since start.</param>
/// <param name="Completed">Requests that ended normally (stop, length, context full).</param>
/// <param name="Cancelled">Requests cancelled by their client.</param>
/// <param name="Failed">Requests that ended with an error (timeout included).</param>
/// <param name="Rejected">Submissions refused because the queue was full.</param>
public readonly record struct SchedulerCounters(
    int Running, int Waiting, int KvBlocksUsed, int KvBlocksCached, int KvBlocksTotal, long Steps, int LastBatchSize, int LastStepTokens,
    long PromptTokensComputed, long PromptTokensCached, long TokensGenerated, long Completed, long Cancelled, long Failed, long Rejected)
{
    /// <summary>Recurrent state slots held by sequences (models with recurrent layers, LFM2; 0 otherwise).</summary>
    public int RecurrentStatesUsed { get; init; }

    /// <summary>Times a running sequence gave its KV blocks back for others to go on (vLLM's num_preemptions), since start.</summary>
    public long Preemptions { get; init; }

    /// <summary>Positions computed again by preempted sequences when they resumed (their prefix-cache hits excluded), since start.</summary>
    public long RecomputedTokens { get; init; }

    /// <summary>Recurrent-state snapshots the prefix cache holds (models with recurrent layers; 0 otherwise).</summary>
    public int StateSnapshots { get; init; }
}
