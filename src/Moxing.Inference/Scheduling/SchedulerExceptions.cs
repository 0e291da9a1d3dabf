using Moxing.Core;

namespace Moxing.Inference.Scheduling;

/// <summary>The engine's waiting queue is full; the client should retry after <see cref="RetryAfter"/> (HTTP 429/503).</summary>
public sealed class QueueFullException(int waiting, TimeSpan retryAfter)
    : MoxingException($"the server is busy: {waiting} requests are already waiting; retry after {retryAfter.TotalSeconds:0} s")
{
    /// <summary>Requests waiting when this one was refused.</summary>
    public int Waiting { get; } = waiting;

    /// <summary>An estimate of when a slot frees up.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>A request ran past its time limit (queue time included) and was stopped; its memory is freed.</summary>
public sealed class RequestTimeoutException(TimeSpan limit, int generated)
    : MoxingException($"the request ran past its time limit of {limit.TotalSeconds:0.###} s after {generated} generated tokens")
{
    /// <summary>The limit that expired.</summary>
    public TimeSpan Limit { get; } = limit;
}
