namespace Moxing.Inference.Scheduling;

// Prefix caching for models with recurrent layers (Qwen3.5's Gated DeltaNet, LFM2's short convolutions, Mamba): a prefix's KV
// blocks are of use only with the recurrent state at the prefix's end, so the prefix cache keeps state snapshots
// (PrefixCache.States.cs) and an admitted sequence restores the deepest one its tokens reach. A sequence leaves one where
// reuse pays: one token before its prompt's end (the same prompt again computes one token), where the blocks other prompts
// left cached end beyond any snapshot (the junction after a shared system prompt, vLLM's shared-prefix checkpoint), where it
// ends (the next chat turn starts with its prompt and reply, llama-server's checkpoint after the response) and where it is
// preempted (it resumes there). A prefill chunk ends at each point inside the prompt; a snapshot covers at least one block.
public sealed partial class ContinuousBatchScheduler
{
    private int _stateSnapshots;

    // Snapshots the prefix cache keeps for a model whose sequences each hold `stateBytes` of recurrent state (0: one that only
    // attends), the running sequences' `states` and one context's `contextBytes` of blocks being in the budget too: as many as
    // asked for, else one per running sequence (with a budget given, at most half of what it holds beyond those).
    private int StateSnapshotsFor(long stateBytes, long states, long contextBytes)
    {
        if (!_options.PrefixCaching || stateBytes == 0) return 0;
        if (_options.StateSnapshots >= 0) return _options.StateSnapshots;
        var max = _options.MaxRunningSequences;
        return _options.KvMemoryBytes > 0 ? (int)Math.Clamp((_options.KvMemoryBytes - states - contextBytes) / 2 / stateBytes, 0, max) : max;
    }

    // The deepest snapshot within the prompt (at least one token left to compute) among the `hits` blocks matched: the full
    // blocks it follows, their key, and it; notes the junction where the matched blocks end beyond it.
    private (int Blocks, ulong Key, StateSnapshot? State) FindState(ScheduledSequence s, ReadOnlySpan<int> tokens, int hits)
    {
        var size = _options.KvBlockTokens;
        var state = _prefixes!.FindState(tokens, tokens.Length - 1, hits, _prefixKeys);
        var blocks = state?.Blocks ?? 0;
        s.Junction = hits * size > blocks * size + (state?.Tail.Length ?? 0) ? hits * size : 0;
        return (blocks, blocks == 0 ? PrefixCache.Root : _prefixKeys[blocks - 1], state);
    }

    // The next position inside its prefill where the sequence leaves a snapshot; 0 when none is left.
    private int StatePoint(ScheduledSequence s)
    {
        if (_prefixes is not { KeepsStates: true }) return 0;
        var beforeEnd = s.Prompt.Length - 1;
        var point = s.Junction > s.Position ? s.Junction : beforeEnd > s.Position ? beforeEnd : 0;
        return point >= _options.KvBlockTokens ? point : 0;
    }

    private bool AtStatePoint(ScheduledSequence s) => _prefixes is { KeepsStates: true } && s.Prefilling &&
        s.Position >= _options.KvBlockTokens && (s.Position == s.Junction || s.Position == s.Prompt.Length - 1);

    // Keeps the sequence's recurrent state at its position in the prefix cache when every full block before it is cached. One that
    // goes on (not `leaving`) copies its partial block when it next writes: that block must be free now (a lone sequence could not
    // preempt anyone for it), and under KvAdmission.Reserve fit beside the charges.
    private void TakeState(ScheduledSequence s, bool leaving)
    {
        if (_prefixes is not { KeepsStates: true } || s.Kv is not { } kv) return;
        var size = _options.KvBlockTokens;
        var blocks = s.Position / size;
        if (s.Position < size || s.PublishStopped || s.Published != blocks) return;
        var tail = s.History.AsSpan(blocks * size, s.Position - blocks * size);
        if (!leaving && !tail.IsEmpty && !RoomForCopy()) return;
        // the junction's state is shared by the prompts that left its blocks: it counts as restored already
        if (_prefixes.AddState(s.PublishedKey, blocks, tail, kv, shared: s.Prefilling && s.Position == s.Junction)) _kvChanged = true;
    }

    private bool RoomForCopy()
    {
        if (_options.Admission == KvAdmission.Reserve) return TryCharge(1);
        if (_pool.FreeBlockCount > 0) return true;
        _kvChanged = true;
        return _prefixes!.Evict(1) > 0;
    }
}
