namespace Moxing.Inference.Scheduling;

// Admission by current need and preemption by recompute (KvAdmission.OnDemand, vLLM's way): a request is admitted when the
// pool holds the blocks of the tokens it must compute now, beside what the running prefills still need and a watermark;
// a running sequence takes a block when it crosses into one. When a step needs more blocks than are free, blocks only the
// prefix cache holds are evicted first; then the latest admitted running sequence gives all its blocks back (those it
// published stay cached) and goes to the front of the queue with its generated tokens. Resumed, it recomputes every token
// it has seen (chunked, as a prompt) and goes on where it was: tokens already emitted are not emitted again, and its
// sampler, constraint and usage go on unchanged, so its reply is the one it gives uninterrupted. Preemption takes the
// latest first admission, so the earliest running sequence always advances and a lone one always fits (the pool holds a
// context): no livelock.
public sealed partial class ContinuousBatchScheduler
{
    // Blocks an on-demand admission leaves free beside the running sequences (SchedulerOptions.KvWatermark).
    private readonly int _watermark;
    private long _admissions;
    private long _preemptions;
    private long _recomputed;

    // Whether a sequence whose tokens take `need` more blocks fits now, beside the blocks the running sequences' and the
    // `admitted` ones' (_admitted) prefills still need, with the watermark unless it would run alone.
    private bool FitsNow(int need, int admitted)
    {
        foreach (var r in _running) need += PrefillBlocksLeft(r);
        for (var i = 0; i < admitted; i++) need += PrefillBlocksLeft(_admitted[i]);
        if (_running.Count + admitted > 0) need += _watermark;
        var free = _pool.FreeBlockCount;
        return need <= free || (_prefixes != null && need <= free + _prefixes.CacheOnlyCount());
    }

    private int PrefillBlocksLeft(ScheduledSequence s) => Math.Max(0, BlocksOf(s.PrefillEnd) - BlocksOf(s.Position));

    // Plans the step within the pool: when its slices need more blocks than are free, blocks only the prefix cache holds are
    // evicted first, then drafts are dropped (they never cost a preemption), then the latest admitted running sequences are
    // preempted, planning again after each; returns the slices planned, and their tokens.
    private int PlanWithinPool(out int tokens)
    {
        var speculate = _options.SpeculativeTokens > 0;
        var count = Plan(speculate, out tokens);
        while (count > 0)
        {
            var needed = 0;
            for (var i = 0; i < count; i++) needed += _slices[i].Sequence.BlocksNeeded(_slices[i].Tokens.Length);
            var missing = needed - _pool.FreeBlockCount;
            if (missing <= 0) return count;
            if (_prefixes != null && _prefixes.Evict(missing) > 0)
            {
                _kvChanged = true;
                if (needed <= _pool.FreeBlockCount) return count;
            }
            // a sequence alone fits (the pool holds a context and every block only the cache holds can be evicted)
            if (!speculate && _running.Count < 2) return count;
            _batch.AsSpan(0, count).Clear();
            _slices.AsSpan(0, count).Clear();
            _drafts.AsSpan(0, count).Clear();
            if (speculate) speculate = false;
            else Preempt(_running[^1]);
            count = Plan(speculate, out tokens);
        }
        return count;
    }

    // Gives back every block of a running sequence and puts it at the front of the queue to recompute what it has seen
    // (one asked to stop simply ends).
    private void Preempt(ScheduledSequence s)
    {
        _running.Remove(s);
        if (s.PendingStop != StopCause.None)
        {
            EndStopped(s);
            Volatile.Write(ref _runningCount, _running.Count);
            return;
        }
        s.Recompute = Math.Max(s.Recompute, s.Position);
        // a decoding sequence has drawn the token at its position: it is fed at the end of the recompute, whose logits draw the next
        if (!s.Prefilling) s.PrefillEnd = s.Position + 1;
        // resumed, it restores this state rather than recompute what it has seen (unless the snapshot is evicted meanwhile)
        TakeState(s, leaving: true);
        ReleaseKv(s);
        s.Position = 0;
        s.State = SequenceState.Waiting;
        lock (_queueLock)
        {
            _waiting.EnqueueFront(s, s.AdmissionOrder);
            Volatile.Write(ref _runningCount, _running.Count);
        }
        Interlocked.Increment(ref _preemptions);
        _options.StepObserver?.Preempted();
        // the loop tries to admit it again before it sleeps
        _wake.Set();
    }
}
