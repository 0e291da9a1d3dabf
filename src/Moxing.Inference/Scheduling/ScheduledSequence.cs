using System.Diagnostics;
using System.Threading.Channels;
using Moxing.Inference.Constraints;
using Moxing.Inference.Generation;
using Moxing.Inference.Sampling;
using Moxing.Models.Decoder;

namespace Moxing.Inference.Scheduling;

/// <summary>Where a request is in its life.</summary>
internal enum SequenceState { Waiting, Running, Finished }

/// <summary>Why a request is asked to stop from outside the engine loop.</summary>
internal enum StopCause { None, Client, Timeout }

/// <summary>One request inside the scheduler: its prompt, sampling state, KV memory, output channel and clock.</summary>
internal sealed class ScheduledSequence
{
    private readonly Channel<GeneratedToken> _channel;
    private readonly TaskCompletionSource<GenerationOutcome> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<ScheduledSequence> _onStopRequested;
    private readonly int _bufferCapacity;
    private CancellationTokenRegistration _clientRegistration;
    private CancellationTokenSource? _timer;
    private int _stopCause;

    public ScheduledSequence(GenerationRequest request, TimeSpan? timeout, int bufferCapacity, Action<ScheduledSequence> onStopRequested)
    {
        Request = request;
        Prompt = request.PromptIds;
        Tenant = request.Tenant ?? "";
        Timeout = timeout;
        StopIds = [.. request.Limits.StopTokenIds];
        PrefillEnd = Prompt.Length;
        _bufferCapacity = bufferCapacity;
        _onStopRequested = onStopRequested;
        _channel = Channel.CreateBounded<GeneratedToken>(new BoundedChannelOptions(bufferCapacity)
        {
            SingleWriter = true,
            SingleReader = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        SubmittedAt = Stopwatch.GetTimestamp();
    }

    public GenerationRequest Request { get; }
    public int[] Prompt { get; }
    public string Tenant { get; }
    public TimeSpan? Timeout { get; }
    public int[] StopIds { get; }
    public ITokenConstraint? Constraint => Request.Constraint;
    public GenerationStream Stream => new(_channel.Reader, _completion.Task);

    public SequenceState State { get; set; }
    public Sampler? Sampler { get; set; }

    /// <summary>This sequence's keys/values while it runs.</summary>
    public SequenceKv? Kv { get; set; }

    /// <summary>KV blocks charged to it: those it may still take from the pool and has not handed to the prefix cache.</summary>
    public int Charge { get; set; }

    /// <summary>The prompt followed by the generated tokens (allocated when it starts).</summary>
    public int[] History { get; set; } = [];

    /// <summary>Positions already in the KV cache.</summary>
    public int Position { get; set; }

    /// <summary>Positions fed in chunks before decoding goes token by token: the prompt, or after a preemption every token known then.</summary>
    public int PrefillEnd { get; set; }

    /// <summary>Positions the KV cache held when the sequence was last preempted: recomputed when it resumes, scoring and emitting nothing.</summary>
    public int Recompute { get; set; }

    /// <summary>When it was first admitted (0: never): the latest admitted running sequence is preempted first.</summary>
    public long AdmissionOrder { get; set; }

    /// <summary>Prompt positions taken from the prefix cache.</summary>
    public int CachedPromptTokens { get; set; }

    /// <summary>Tokens emitted.</summary>
    public int Produced { get; set; }

    /// <summary>Full blocks already offered to the prefix cache.</summary>
    public int Published { get; set; }

    /// <summary>The prefix-cache key of the first <see cref="Published"/> blocks.</summary>
    public ulong PublishedKey { get; set; } = PrefixCache.Root;

    /// <summary>Set when a block could not be cached: the blocks after it cannot be either.</summary>
    public bool PublishStopped { get; set; }

    /// <summary>Where the blocks the prefix cache held for its prompt ended beyond any state snapshot (0: nowhere): it leaves one there.</summary>
    public int Junction { get; set; }

    public bool Prefilling => Position < PrefillEnd;

    /// <summary>True while the prompt is scored: each position fed gives a token (none while positions are recomputed after a preemption).</summary>
    public bool Scoring => Request.ScorePrompt && Position >= Recompute && Position < Prompt.Length;

    /// <summary>The tokens fed before decoding goes token by token (the prompt until it has run).</summary>
    public ReadOnlySpan<int> PrefillTokens => History.Length > 0 ? History.AsSpan(0, PrefillEnd) : Prompt;

    /// <summary>
    /// How many of the next <paramref name="n"/> prefill positions to feed so that no bidirectional span is split across steps: up to
    /// a span that would be cut, or a whole span starting here when <paramref name="budget"/> holds it (0: wait for a fuller step).
    /// </summary>
    public int WholeSpans(int n, int budget)
    {
        foreach (var span in Request.Spans)
        {
            if (!span.Bidirectional || span.End <= Position || span.Position >= Position + n || span.End <= Position + n) continue;
            if (span.Position > Position) return span.Position - Position;
            return span.End - Position <= budget ? span.End - Position : 0;
        }
        return n;
    }

    /// <summary>
    /// What the prefix cache keys <paramref name="tokens"/> (positions from <paramref name="start"/>) by: the ids, except that positions
    /// an embedded span fills take ids made from its content hash, so that two different images never share cached keys and values.
    /// </summary>
    public ReadOnlySpan<int> CacheKeys(ReadOnlySpan<int> tokens, int start)
    {
        int[]? keyed = null;
        foreach (var span in Request.Spans)
        {
            int from = Math.Max(span.Position, start), to = Math.Min(span.End, start + tokens.Length);
            if (from >= to) continue;
            keyed ??= tokens.ToArray();
            for (var p = from; p < to; p++) keyed[p - start] = unchecked((int)((span.ContentHash + (ulong)(p - span.Position)) * 0x9E3779B97F4A7C15UL >> 32));
        }
        return keyed ?? tokens;
    }

    /// <summary>Most draft tokens the next speculative step may feed: shrinks after drafts that did not come true, grows after ones that did.</summary>
    public int DraftLimit { get; set; } = SchedulerOptions.MaxSpeculativeTokens;

    public long SubmittedAt { get; }
    public long StartedAt { get; set; }
    public long FirstTokenAt { get; private set; }

    /// <summary>Records when the model produced its first token for this request (a stop token counts).</summary>
    public void MarkSampled()
    {
        if (FirstTokenAt == 0) FirstTokenAt = Stopwatch.GetTimestamp();
    }

    /// <summary>Set while the loop waits for the reader to make room; cleared when it has.</summary>
    public volatile bool AwaitingRoom;

    public StopCause PendingStop => (StopCause)Volatile.Read(ref _stopCause);

    /// <summary>True when the reader has room for one more token.</summary>
    public bool HasRoom => _channel.Reader.Count < _bufferCapacity;

    /// <summary>How many more tokens the reader has room for.</summary>
    public int Room => _bufferCapacity - _channel.Reader.Count;

    /// <summary>Wires the client's token and the time limit to a stop request (called before the request is visible to the loop).</summary>
    public void AttachCancellation(CancellationToken client)
    {
        if (client.CanBeCanceled)
            _clientRegistration = client.UnsafeRegister(static s => ((ScheduledSequence)s!).RequestStop(StopCause.Client), this);
        if (Timeout is { } limit)
        {
            _timer = new CancellationTokenSource(limit);
            _timer.Token.UnsafeRegister(static s => ((ScheduledSequence)s!).RequestStop(StopCause.Timeout), this);
        }
    }

    private void RequestStop(StopCause cause)
    {
        if (Interlocked.CompareExchange(ref _stopCause, (int)cause, 0) == 0) _onStopRequested(this);
    }

    /// <summary>Calls <paramref name="wake"/> once the reader has made room.</summary>
    public void NotifyWhenRoom(Action wake)
    {
        if (AwaitingRoom) return;
        AwaitingRoom = true;
        _ = _channel.Writer.WaitToWriteAsync().AsTask().ContinueWith((_, s) =>
        {
            var (sequence, w) = ((ScheduledSequence, Action))s!;
            sequence.AwaitingRoom = false;
            w();
        }, (this, wake), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public void Emit(GeneratedToken token)
    {
        _channel.Writer.TryWrite(token);
        if (!token.InPrompt) Produced++;
    }

    /// <summary>Ends the request with an outcome; returns false if it had already ended.</summary>
    public bool Finish(FinishReason reason)
    {
        if (!Close()) return false;
        _channel.Writer.TryComplete();
        _completion.TrySetResult(Outcome(reason));
        return true;
    }

    /// <summary>Ends the request with an error; returns false if it had already ended.</summary>
    public bool Fail(Exception error)
    {
        if (!Close()) return false;
        _channel.Writer.TryComplete(error);
        _completion.TrySetException(error);
        return true;
    }

    /// <summary>Time from submission to the end, for the retry-after estimate.</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(SubmittedAt);

    private bool Close()
    {
        if (State == SequenceState.Finished) return false;
        State = SequenceState.Finished;
        _clientRegistration.Dispose();
        _timer?.Dispose();
        Sampler = null;
        Kv = null;
        return true;
    }

    private GenerationOutcome Outcome(FinishReason reason)
    {
        var now = Stopwatch.GetTimestamp();
        var total = Stopwatch.GetElapsedTime(SubmittedAt, now);
        var queue = StartedAt == 0 ? total : Stopwatch.GetElapsedTime(SubmittedAt, StartedAt);
        var firstToken = FirstTokenAt == 0 ? total : Stopwatch.GetElapsedTime(SubmittedAt, FirstTokenAt);
        return new GenerationOutcome(reason, Prompt.Length, CachedPromptTokens, Produced, queue, firstToken, total);
    }
}
