using System.Collections.Concurrent;
using Moxing.Core;
using Moxing.Inference.Generation;
using Moxing.Inference.Sampling;
using Moxing.Inference.Sessions;
using Moxing.Models.Decoder;

namespace Moxing.Inference.Scheduling;

/// <summary>
/// Continuous batching for one decoder model: a dedicated thread runs steps, each advancing every running sequence by
/// one token (or one prompt chunk); new requests join between steps, finished and cancelled ones leave at once. Requests
/// are admitted by the KV memory they need now and preempted when a step finds none left (<see cref="KvAdmission"/>).
/// </summary>
public sealed partial class ContinuousBatchScheduler : IGenerationEngine
{
    private readonly DecoderModel _model;
    private readonly SchedulerOptions _options;
    private readonly int _context;
    private readonly int _vocab;
    private readonly KvBlockPool _pool;
    private readonly PrefixCache? _prefixes;

    private readonly Lock _queueLock = new();
    private readonly TenantQueue<ScheduledSequence> _waiting = new();
    private readonly ConcurrentQueue<ScheduledSequence> _stopRequests = new();
    private readonly List<ScheduledSequence> _running;
    private readonly ScheduledSequence[] _admitted;
    // Never disposed: a reader's late room notification may still Set it after the loop has ended.
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 0);
    private readonly Action _wakeAction;
    private readonly Action<ScheduledSequence> _onStopRequested;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopping;
    private Exception? _fatal;

    // Step buffers, allocated once: the sequences of a step, their slices, their logits rows.
    private readonly ScheduledSequence[] _batch;
    private readonly BatchSlice[] _slices;
    private readonly int[] _rows;
    private readonly float[] _logits;
    private readonly BatchScratch _scratch;
    private readonly LogprobScorer _scorer;
    private readonly int[] _prefixBlocks;
    private readonly ulong[] _prefixKeys;

    // KV accounting under KvAdmission.Reserve: blocks charged to running sequences; with the prefix cache's blocks they never
    // exceed the pool, so a step never runs out of blocks.
    private int _charged;
    private bool _kvChanged;
    private int _runningCount;
    private int _usedBlocks;
    private int _cachedBlocks;
    private long _steps;
    private int _lastBatch;
    private int _lastTokens;
    private long _promptComputed;
    private long _promptCached;
    private long _generated;
    private long _completed;
    private long _cancelled;
    private long _failed;
    private long _rejected;
    private double _meanRequestSeconds = 1;

    /// <summary>Starts a scheduler (and its thread) for <paramref name="model"/>.</summary>
    public ContinuousBatchScheduler(DecoderModel model, SchedulerOptions? options = null)
    {
        _options = options ?? new SchedulerOptions();
        _options.Validate();
        _model = model;
        var o = model.Options;
        // A model with recurrent layers (LFM2, Mamba2) sums every position it has seen into each sequence's state: drafts cannot be
        // taken back once they have entered it, so it runs without speculation; its prefixes are reused through state snapshots.
        if (o.RecurrentStateFloats > 0) _options = _options with { SpeculativeTokens = 0 };
        _context = _options.ContextSize > 0 ? _options.ContextSize : o.MaxContext;
        _vocab = o.VocabSize;
        var contextBlocks = BlocksOf(_context);
        var blockBytes = _options.KvBlockTokens * KvBlockPool.BytesPerPosition(o, _options.KvType);
        var stateBytes = KvBlockPool.StateBytesPerSequence(o);
        var states = _options.MaxRunningSequences * stateBytes;
        var snapshots = StateSnapshotsFor(stateBytes, states, contextBlocks * blockBytes);
        // without a snapshot the blocks of a recurrent model's prefixes are of no use
        _options = _options with { StateSnapshots = snapshots, PrefixCaching = _options.PrefixCaching && (stateBytes == 0 || snapshots > 0) };
        var stored = states + snapshots * stateBytes;
        // The budget holds the running sequences' recurrent states and the prefix cache's state snapshots beside the blocks.
        var budget = _options.KvMemoryBytes > 0
            ? _options.KvMemoryBytes
            : Math.Max(Math.Min(_options.MaxRunningSequences * (long)contextBlocks * blockBytes, 2L << 30), contextBlocks * blockBytes) + stored;
        if ((budget - stored) / blockBytes < contextBlocks)
            throw new ArgumentException($"a KV memory budget of {budget} bytes holds {Math.Max(0, budget - stored) / blockBytes * _options.KvBlockTokens} positions" +
                (stored > 0 ? $" beside {stored} bytes of recurrent state ({snapshots} of them prefix-cache snapshots)" : "") + $", less than one context of {_context}");
        _pool = model.CreateBlockPool(budget - snapshots * stateBytes, _options.KvType, _options.KvBlockTokens, _options.MaxRunningSequences);
        _prefixes = _options.PrefixCaching ? new PrefixCache(_pool, contextBlocks, snapshots) : null;
        _prefixBlocks = new int[contextBlocks];
        _prefixKeys = new ulong[contextBlocks];
        _watermark = (int)Math.Ceiling(_pool.BlockCount * _options.KvWatermark);

        var max = _options.MaxRunningSequences;
        _running = new List<ScheduledSequence>(max);
        _admitted = new ScheduledSequence[max];
        _batch = new ScheduledSequence[max];
        _slices = new BatchSlice[max];
        _rows = new int[max];
        _logits = new float[max * (long)_vocab <= Array.MaxLength ? max * _vocab : throw new ArgumentException("max running sequences × vocabulary is too large")];
        // A step feeds at most one prompt chunk in all plus one token per decoding sequence.
        _scratch = model.CreateScratch(Math.Min(_options.PrefillChunkTokens, _context) + max);
        _scorer = new LogprobScorer(_vocab);
        _drawAt = new int[max];
        _drafts = new int[max];
        _drawn = new GeneratedToken[max];
        _drawErrors = new Exception?[max];
        _scorers = new ThreadLocal<LogprobScorer>(() => new LogprobScorer(_vocab));
        _wakeAction = () => _wake.Set();
        _onStopRequested = sequence =>
        {
            _stopRequests.Enqueue(sequence);
            _wake.Set();
        };
        new Thread(Loop) { IsBackground = true, Name = "Moxing scheduler" }.Start();
    }

    /// <summary>Positions one sequence may hold.</summary>
    public int ContextSize => _context;

    /// <summary>The options the scheduler runs with.</summary>
    public SchedulerOptions Options => _options;

    /// <summary>True while the scheduler's loop runs (false once it has shut down: after disposal or a fatal error).</summary>
    // the loop's end, not the thread's: the thread outlives the completion that DisposeAsync awaits by a few instructions
    public bool IsRunning => !_stopped.Task.IsCompleted;

    /// <summary>Current state and totals.</summary>
    public SchedulerCounters Counters
    {
        get
        {
            int waiting;
            lock (_queueLock) waiting = _waiting.Count;
            return new SchedulerCounters(Volatile.Read(ref _runningCount), waiting, Volatile.Read(ref _usedBlocks), Volatile.Read(ref _cachedBlocks), _pool.BlockCount,
                Interlocked.Read(ref _steps), Volatile.Read(ref _lastBatch), Volatile.Read(ref _lastTokens),
                Interlocked.Read(ref _promptComputed), Interlocked.Read(ref _promptCached), Interlocked.Read(ref _generated),
                Interlocked.Read(ref _completed), Interlocked.Read(ref _cancelled), Interlocked.Read(ref _failed), Interlocked.Read(ref _rejected))
            {
                RecurrentStatesUsed = _pool.States?.HeldSlotCount ?? 0,
                Preemptions = Interlocked.Read(ref _preemptions),
                RecomputedTokens = Interlocked.Read(ref _recomputed),
                StateSnapshots = Volatile.Read(ref _stateSnapshots),
            };
        }
    }

    /// <inheritdoc />
    public GenerationStream Submit(GenerationRequest request, CancellationToken cancellation = default)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        Validate(request);
        cancellation.ThrowIfCancellationRequested();
        var sequence = new ScheduledSequence(request, request.Timeout ?? _options.RequestTimeout, _options.TokenBufferCapacity, _onStopRequested);
        lock (_queueLock)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            var freeSlots = Math.Max(0, _options.MaxRunningSequences - Volatile.Read(ref _runningCount));
            if (_waiting.Count >= _options.MaxWaitingRequests + freeSlots)
            {
                Interlocked.Increment(ref _rejected);
                throw new QueueFullException(_waiting.Count, RetryAfter());
            }
            // Under the lock, so a stop request is never processed before the request is in the queue.
            sequence.AttachCancellation(cancellation);
            _waiting.Enqueue(sequence.Tenant, sequence, request.Priority, request.Weight);
        }
        _wake.Set();
        return sequence.Stream;
    }

    private void Validate(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.PromptIds);
        ArgumentNullException.ThrowIfNull(request.Limits);
        var prompt = request.PromptIds;
        if (prompt.Length == 0) throw new MoxingException("the prompt is empty: at least one token is needed");
        if (prompt.Length > _context) throw new ContextOverflowException(prompt.Length, _context);
        for (var i = 0; i < prompt.Length; i++)
            if ((uint)prompt[i] >= (uint)_vocab)
                throw new MoxingException($"prompt token {i} has id {prompt[i]}, outside the vocabulary of {_vocab} tokens");
        if (request.Limits.MaxTokens < (request.ScorePrompt ? 0 : 1))
            throw new MoxingException($"max tokens must be at least {(request.ScorePrompt ? 0 : 1)}, got {request.Limits.MaxTokens}");
        request.Sampling.Validate();
        if (request.TopLogprobs is < 0 or > LogprobScorer.MaxTopLogprobs)
            throw new MoxingException($"top_logprobs must be in 0..{LogprobScorer.MaxTopLogprobs}, got {request.TopLogprobs}");
        if (!(request.Weight > 0 && double.IsFinite(request.Weight))) throw new MoxingException($"the tenant weight must be a positive number, got {request.Weight}");
        if (request.Timeout is { } t && t <= TimeSpan.Zero) throw new MoxingException($"the request timeout must be positive, got {t}");
        if (request.ScorePrompt && request.Spans.Count > 0) throw new MoxingException("a prompt with images cannot be scored (prompt log-probabilities)");
        var previous = 0;
        foreach (var span in request.Spans)
        {
            if (span.Position < previous || span.End > prompt.Length || span.Length < 1)
                throw new MoxingException($"embedded span [{span.Position}, {span.End}) is not in order within the prompt of {prompt.Length} tokens");
            // a bidirectional span is computed in one step
            if (span.Bidirectional && span.Length > _options.PrefillChunkTokens)
                throw new MoxingException($"an image of {span.Length} tokens needs a prefill chunk of at least as many tokens; the engine's is {_options.PrefillChunkTokens}");
            previous = span.End;
        }
    }

    // Mean request time × how many rounds of running slots the queue holds, clamped to [1 s, 60 s].
    private TimeSpan RetryAfter()
    {
        var rounds = (double)_waiting.Count / _options.MaxRunningSequences + 1;
        var seconds = Math.Clamp(Math.Ceiling(Volatile.Read(ref _meanRequestSeconds) * rounds), 1, 60);
        return TimeSpan.FromSeconds(seconds);
    }

    private int BlocksOf(int positions) => (positions + _options.KvBlockTokens - 1) / _options.KvBlockTokens;

    // Positions a request can ever hold.
    private int CapacityFor(ScheduledSequence s) => (int)Math.Min((long)s.Prompt.Length + s.Request.Limits.MaxTokens, _context);

    private void Loop()
    {
        try
        {
            while (true)
            {
                _wake.Reset();
                ProcessStopRequests();
                if (_stopping) break;
                Admit();
                PublishKvCounters();
                var stepped = Step();
                PublishKvCounters();
                if (!stepped) _wake.Wait();
            }
        }
        catch (Exception e)
        {
            _fatal = e;
            _stopping = true;
        }
        finally
        {
            Shutdown();
            _stopped.TrySetResult();
        }
    }

    private void ProcessStopRequests()
    {
        if (_stopRequests.IsEmpty) return;
        lock (_queueLock)
            while (_stopRequests.TryDequeue(out var s))
            {
                if (s.State == SequenceState.Waiting)
                {
                    if (_waiting.Remove(s.Tenant, s)) EndStopped(s);
                }
                else if (s.State == SequenceState.Running)
                {
                    _running.Remove(s);
                    EndStopped(s);
                }
            }
        Volatile.Write(ref _runningCount, _running.Count);
    }

    private void EndStopped(ScheduledSequence s)
    {
        if (s.PendingStop == StopCause.Timeout) Fail(s, new RequestTimeoutException(s.Timeout!.Value, s.Produced));
        else End(s, FinishReason.Cancelled);
    }

    private void Admit()
    {
        var count = 0;
        lock (_queueLock)
        {
            while (_running.Count + count < _options.MaxRunningSequences && _waiting.TryPeek(out var s))
            {
                if (s.PendingStop != StopCause.None)
                {
                    _waiting.TryDequeue(out _);
                    EndStopped(s);
                    continue;
                }
                if (!TryReserve(s, count)) break; // the head waits for memory rather than being overtaken forever
                _waiting.TryDequeue(out _);
                s.State = SequenceState.Running;
                _admitted[count++] = s;
            }
            // Counted before the lock is left: Submit sizes the queue from running + waiting under this lock, and a
            // request taken off the queue but not yet counted as running would let one more in than the limit.
            Volatile.Write(ref _runningCount, _running.Count + count);
        }
        // Allocation happens outside the lock so submissions are not held up.
        for (var i = 0; i < count; i++)
        {
            var s = _admitted[i];
            _admitted[i] = null!;
            if (s.AdmissionOrder > 0)
            {
                // a preempted sequence resumes with its history and sampler, in its first admission's place
                var at = _running.FindIndex(r => r.AdmissionOrder > s.AdmissionOrder);
                _running.Insert(at < 0 ? _running.Count : at, s);
                continue;
            }
            s.AdmissionOrder = ++_admissions;
            s.StartedAt = System.Diagnostics.Stopwatch.GetTimestamp();
            s.History = new int[CapacityFor(s) + 1];
            s.Prompt.CopyTo(s.History, 0);
            s.Sampler = new Sampler(s.Request.Sampling, _vocab);
            s.Sampler.ObservePrompt(s.Prompt);
            Interlocked.Add(ref _promptCached, s.CachedPromptTokens);
            _running.Add(s);
        }
        Volatile.Write(ref _runningCount, _running.Count);
    }

    // Takes the request's cached prefix and admits it when the KV memory allows (what it needs now, or its worst case
    // under KvAdmission.Reserve); false (nothing changed but cache evictions) when it does not fit yet. `admitted`: the
    // sequences admitted before it in this pass (_admitted).
    private bool TryReserve(ScheduledSequence s, int admitted)
    {
        var size = _options.KvBlockTokens;
        var tokens = s.CacheKeys(s.PrefillTokens, 0);
        var hits = 0;
        var key = PrefixCache.Root;
        StateSnapshot? state = null;
        // At least one token is always computed: its logits choose the next generated token. A scored prompt is computed
        // whole: every position's logits are needed.
        if (_prefixes != null && !s.Request.ScorePrompt)
        {
            hits = _prefixes.Match(tokens, (tokens.Length - 1) / size, _prefixBlocks, out key, _prefixKeys);
            if (_prefixes.KeepsStates) (hits, key, state) = FindState(s, tokens, hits);
        }
        var matched = _prefixBlocks.AsSpan(0, hits);
        // The matched blocks (and a snapshot's partial block, copied when written) are held meanwhile so that eviction cannot
        // pick them nor count them free.
        foreach (var block in matched) _pool.Retain(block);
        if (state is { TailBlock: >= 0 and var tail }) _pool.Retain(tail);
        var reserve = _options.Admission == KvAdmission.Reserve;
        var charge = reserve ? BlocksOf(CapacityFor(s)) - hits : 0;
        var fits = reserve ? TryCharge(charge) : FitsNow(BlocksOf(tokens.Length) - hits, admitted);
        if (fits)
        {
            s.Kv = new SequenceKv(_pool, CapacityFor(s));
            if (state != null) _prefixes!.Restore(state, matched, s.Kv);
            else s.Kv.AttachPrefix(matched);
        }
        foreach (var block in matched) _pool.Release(block);
        if (state is { TailBlock: >= 0 and var held }) _pool.Release(held);
        if (!fits) return false;
        s.Charge = charge;
        _charged += charge;
        s.Position = hits * size + (state?.Tail.Length ?? 0);
        s.Published = hits;
        s.PublishedKey = key;
        s.PublishStopped = false;
        _kvChanged = true;
        // a resumed sequence keeps its first admission's usage and emits nothing twice
        if (s.AdmissionOrder > 0) return true;
        s.CachedPromptTokens = s.Position;
        // a scored prompt's first token has nothing before it to be scored by (the reader's buffer is empty now)
        if (s.Request.ScorePrompt) s.Emit(new GeneratedToken(s.Prompt[0], float.NaN, null, InPrompt: true));
        return true;
    }

    // Charges `charge` blocks under KvAdmission.Reserve, evicting cached blocks no sequence uses when the pool would
    // otherwise be over-committed; false when they do not fit.
    private bool TryCharge(int charge)
    {
        var over = (_prefixes?.Count ?? 0) + _charged + charge - _pool.BlockCount;
        if (over <= 0) return true;
        if (_prefixes == null) return false;
        // Evict nothing when eviction cannot make enough room: the cache stays useful while the request waits.
        var evicted = _prefixes.CacheOnlyCount() >= over ? _prefixes.Evict(over) : 0;
        _kvChanged = true;
        return evicted >= over;
    }

    // One step: plan which sequences feed what, make room for their blocks, run them through the model together, sample;
    // false when nothing could run.
    private bool Step()
    {
        var count = PlanWithinPool(out var tokens);
        if (count == 0) return false;

        Forward(count);
        // Counted before sampling, so a client that sees its request end also sees the step that ended it.
        Interlocked.Increment(ref _steps);
        Volatile.Write(ref _lastBatch, count);
        Volatile.Write(ref _lastTokens, tokens);
        _options.StepObserver?.StepCompleted(count, tokens);
        Sample(count);
        RemoveFinished();
        return true;
    }

    // Which sequences feed what this step (drafts only when `speculate`), in _batch, _slices, _rows and _drafts; returns
    // how many, and the tokens fed in all.
    private int Plan(bool speculate, out int tokens)
    {
        int count = 0, rows = 0, prefillBudget = _options.PrefillChunkTokens;
        tokens = 0;
        // Every running sequence may take one row of logits; rows no sequence can claim go to prompts being scored.
        var spareRows = _rows.Length - _running.Count;
        foreach (var s in _running)
        {
            if (s.PendingStop != StopCause.None) continue;
            if (!s.HasRoom)
            {
                s.NotifyWhenRoom(_wakeAction);
                continue;
            }
            var n = 1;
            var scoring = s.Scoring;
            if (s.Prefilling)
            {
                if (prefillBudget == 0) continue;
                // a recompute stops where the prompt's scoring resumes
                var end = s.Request.ScorePrompt && s.Position < s.Recompute ? Math.Min(s.Recompute, s.PrefillEnd) : s.PrefillEnd;
                n = Math.Min(prefillBudget, end - s.Position);
                // a chunk ends where the sequence leaves a state snapshot, and never inside an image's span
                if (StatePoint(s) is > 0 and var point) n = Math.Min(n, point - s.Position);
                n = s.WholeSpans(n, prefillBudget);
                if (n == 0) continue;
                // a scored chunk gives a token per position: as many as the reader has room for and logit rows allow
                if (scoring)
                {
                    n = Math.Min(n, Math.Min(s.Room, 1 + spareRows));
                    spareRows -= n - 1;
                }
                prefillBudget -= n;
            }
            else if (spareRows > 0 && speculate)
            {
                n += _drafts[count] = Draft(s, Math.Min(spareRows, _options.SpeculativeTokens));
                spareRows -= n - 1;
            }
            // A prompt chunk that does not finish the prompt needs no logits, unless the prompt is scored.
            var wantsLogits = s.Position + n >= s.PrefillEnd;
            var everyRow = scoring || _drafts[count] > 0;
            _batch[count] = s;
            _slices[count] = new BatchSlice(s.Kv!, s.History.AsMemory(s.Position, n),
                everyRow ? LogitsWanted.All : wantsLogits ? LogitsWanted.Last : LogitsWanted.None, s.Request.Spans.Count > 0 ? s.Request.Spans : null);
            _rows[count++] = everyRow || wantsLogits ? rows : -1;
            rows += everyRow ? n : wantsLogits ? 1 : 0;
            tokens += n;
        }
        return count;
    }

    // Chooses each sequence's next token (or scores its prompt) from the step's logits.
    private void Sample(int count)
    {
        var draws = 0;
        for (var i = 0; i < count; i++)
        {
            var s = _batch[i];
            // a speculating sequence publishes its blocks once its drafts are checked
            if (s.State != SequenceState.Running || _drafts[i] > 0) continue;
            Publish(s);
            if (AtStatePoint(s)) TakeState(s, leaving: false);
            if (_rows[i] >= 0 && _slices[i].Logits != LogitsWanted.All && s.Request.Limits.MaxTokens > 0) _drawAt[draws++] = i;
        }
        // every reply token of the step is drawn at once on the worker pool; tokens are emitted here, in batch order
        DrawAll(draws);
        for (int i = 0, next = 0; i < count; i++)
        {
            var s = _batch[i];
            var slice = _slices[i];
            _batch[i] = null!;
            _slices[i] = default;
            if (next < draws && _drawAt[next] == i)
            {
                next++;
                ApplyDrawn(s, i);
                continue;
            }
            var drafted = _drafts[i];
            _drafts[i] = 0;
            if (s.State != SequenceState.Running || _rows[i] < 0) continue;
            try
            {
                if (drafted > 0)
                {
                    Verify(s, _rows[i], drafted);
                    continue;
                }
                // a scored chunk's rows score the prompt tokens after each of its positions; the prompt's last row samples
                var n = slice.Logits == LogitsWanted.All ? slice.Tokens.Length : 1;
                var first = s.Position - n;
                for (var j = 0; j < n; j++)
                {
                    var logits = _logits.AsSpan((_rows[i] + j) * _vocab, _vocab);
                    if (first + j + 1 < s.Prompt.Length) ScorePromptToken(s, logits, s.Prompt[first + j + 1]);
                    else SampleNext(s, logits);
                }
            }
            catch (Exception e)
            {
                Fail(s, e);
            }
        }
    }

    // One batched forward pass; if it fails, each slice runs alone so that only the sequence at fault fails.
    private void Forward(int count)
    {
        try
        {
            _model.ForwardBatch(_slices.AsSpan(0, count), _scratch, _logits);
        }
        catch (Exception) when (count > 1)
        {
            for (var i = 0; i < count; i++)
                try
                {
                    // from the slice's first row on: a scored chunk writes one row per token
                    var row = Math.Max(_rows[i], 0);
                    _model.ForwardBatch(_slices.AsSpan(i, 1), _scratch, _logits.AsSpan(row * _vocab));
                }
                catch (Exception e)
                {
                    Fail(_batch[i], e);
                }
        }
        catch (Exception e)
        {
            Fail(_batch[0], e);
        }
        for (var i = 0; i < count; i++)
        {
            var s = _batch[i];
            if (s.State != SequenceState.Running) continue;
            var n = _slices[i].Tokens.Length;
            if (s.Prefilling)
            {
                // positions recomputed after a preemption are counted apart from the prompt's
                Interlocked.Add(ref _recomputed, Math.Max(0, Math.Min(s.Position + n, s.Recompute) - s.Position));
                Interlocked.Add(ref _promptComputed, Math.Max(0, Math.Min(s.Position + n, s.Prompt.Length) - Math.Max(s.Position, s.Recompute)));
            }
            // Crossing into a new block took one from the pool.
            if (BlocksOf(s.Position) != BlocksOf(s.Position + n)) _kvChanged = true;
            s.Position += n;
        }
        // Before any token of this step is emitted, so that a client sees the memory its tokens took.
        PublishKvCounters();
    }

    // Offers the sequence's newly filled blocks to the prefix cache; each one the cache takes is no longer charged to it.
    private void Publish(ScheduledSequence s)
    {
        if (_prefixes == null) return;
        var size = _options.KvBlockTokens;
        var full = s.Position / size;
        while (s.Published < full && !s.PublishStopped)
        {
            var result = _prefixes.Publish(s.PublishedKey, s.CacheKeys(s.History.AsSpan(s.Published * size, size), s.Published * size), s.Kv!.Blocks[s.Published], out var key);
            if (result == PublishResult.Rejected)
            {
                s.PublishStopped = true;
                return;
            }
            // (blocks are charged under KvAdmission.Reserve only)
            if (result == PublishResult.Inserted && s.Charge > 0)
            {
                s.Charge--;
                _charged--;
            }
            s.PublishedKey = key;
            s.Published++;
            _kvChanged = true;
        }
    }

    private void RemoveFinished()
    {
        var kept = 0;
        for (var i = 0; i < _running.Count; i++)
            if (_running[i].State == SequenceState.Running) _running[kept++] = _running[i];
        if (kept < _running.Count) _running.RemoveRange(kept, _running.Count - kept);
        Volatile.Write(ref _runningCount, kept);
    }

    private void End(ScheduledSequence s, FinishReason reason)
    {
        // the next turn's prompt starts with everything this sequence has seen
        if (reason != FinishReason.Cancelled) TakeState(s, leaving: true);
        ReleaseKv(s);
        if (!s.Finish(reason)) return;
        if (reason == FinishReason.Cancelled) Interlocked.Increment(ref _cancelled);
        else
        {
            Interlocked.Increment(ref _completed);
            // A moving mean of request time, for the retry-after estimate.
            Volatile.Write(ref _meanRequestSeconds, 0.9 * _meanRequestSeconds + 0.1 * s.Elapsed.TotalSeconds);
        }
    }

    private void Fail(ScheduledSequence s, Exception error)
    {
        ReleaseKv(s);
        if (s.Fail(error)) Interlocked.Increment(ref _failed);
    }

    // Returns the sequence's blocks at once; those the prefix cache also holds stay cached.
    private void ReleaseKv(ScheduledSequence s)
    {
        if (s.Kv is not { } kv) return;
        kv.Release();
        s.Kv = null;
        _charged -= s.Charge;
        s.Charge = 0;
        _kvChanged = true;
    }

    // Blocks in use by sequences and blocks only the prefix cache holds, for the counters; recounted only after a change.
    private void PublishKvCounters()
    {
        if (!_kvChanged) return;
        _kvChanged = false;
        var cacheOnly = _prefixes?.CacheOnlyCount() ?? 0;
        Volatile.Write(ref _cachedBlocks, cacheOnly);
        Volatile.Write(ref _stateSnapshots, _prefixes?.StateCount ?? 0);
        Volatile.Write(ref _usedBlocks, _pool.BlockCount - _pool.FreeBlockCount - cacheOnly);
    }

    private void Shutdown()
    {
        lock (_queueLock)
        {
            while (_waiting.TryDequeue(out var s)) Stop(s);
            _stopRequests.Clear();
        }
        foreach (var s in _running) Stop(s);
        _running.Clear();
        _prefixes?.Clear();
        _kvChanged = true;
        PublishKvCounters();
        Volatile.Write(ref _runningCount, 0);
    }

    private void Stop(ScheduledSequence s)
    {
        if (_fatal != null) Fail(s, new MoxingException("the generation engine stopped after an internal error", _fatal));
        else End(s, FinishReason.Cancelled);
    }

    /// <summary>Stops the thread; requests still queued or running end as cancelled.</summary>
    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        _wake.Set();
        await _stopped.Task.ConfigureAwait(false);
        _scorers.Dispose();
    }
}
