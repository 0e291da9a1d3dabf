using System.Diagnostics;

namespace Moxing.Cli.Benchmarks.Serving;

/// <summary>The outcome of one concurrency level: every request's timings and the wall time they took together.</summary>
internal sealed record LoadLevel(int Clients, IReadOnlyList<StreamedRequest> Requests, TimeSpan Wall, bool TimedOut)
{
    public int Succeeded => Requests.Count(r => r.Succeeded);

    /// <summary>Requests the server refused with 429 (a limit or a full queue): an answer, not a failure.</summary>
    public int Refused => Requests.Count(r => r.Status == 429);

    /// <summary>Requests answered with a 5xx status.</summary>
    public int ServerErrors => Requests.Count(r => r.Status >= 500);

    /// <summary>Requests that neither completed nor were refused with 429 (errors, broken streams, no response).</summary>
    public IReadOnlyList<StreamedRequest> Failures => Requests.Where(r => !r.Succeeded && r.Status != 429).ToList();

    /// <summary>How many requests ended with each HTTP status (0: no response), by status.</summary>
    public IReadOnlyList<(int Status, int Count)> StatusCounts =>
        Requests.GroupBy(r => r.Status ?? 0).OrderBy(g => g.Key).Select(g => (g.Key, g.Count())).ToList();

    public int CompletionTokens => Requests.Sum(r => r.CompletionTokens);

    /// <summary>Generated tokens per second over the level's wall time, all clients together.</summary>
    public double AggregateTokensPerSecond => Wall.TotalSeconds > 0 ? CompletionTokens / Wall.TotalSeconds : 0;

    /// <summary>Completed requests whose stream carried no text (the model stopped at once); they have no time to first token.</summary>
    public int Empty => Requests.Count(r => r.Succeeded && r.TimeToFirstToken == null);

    public IReadOnlyList<double> TimeToFirstTokenMs =>
        Requests.Where(r => r.TimeToFirstToken != null).Select(r => r.TimeToFirstToken!.Value.TotalMilliseconds).ToList();

    public IReadOnlyList<double> InterTokenMs => Requests.SelectMany(r => r.InterTokenMs).ToList();

    /// <summary>Whole-request latency of the completed requests, from sending to the stream's end.</summary>
    public IReadOnlyList<double> LatencyMs => Requests.Where(r => r.Succeeded).Select(r => r.Total.TotalMilliseconds).ToList();
}

/// <summary>
/// Runs streaming requests with a fixed number of concurrent clients: a fixed number of them, or as many as fit in a duration
/// (at most a given number); bounded in time either way.
/// </summary>
internal sealed class ServingLoad(StreamingCompletionClient client, int maxTokens, string promptText)
{
    /// <summary>
    /// <paramref name="clients"/> clients send up to <paramref name="requests"/> requests in all; with a <paramref name="duration"/>,
    /// none starts after it. Requests still running at <paramref name="limit"/> are cancelled and the level marked as timed out.
    /// </summary>
    public async Task<LoadLevel> RunAsync(int clients, int requests, TimeSpan? duration, TimeSpan limit, CancellationToken cancellation)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(limit);
        var results = new List<StreamedRequest>();
        var next = -1;
        var start = Stopwatch.GetTimestamp();
        async Task Worker()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests && !deadline.IsCancellationRequested
                && (duration is not { } d || Stopwatch.GetElapsedTime(start) < d))
            {
                try
                {
                    // Each request differs at its start, so no two share a cached prefix beyond what real users would.
                    var result = await client.SendAsync($"Request {i}. {promptText}", maxTokens, deadline.Token);
                    lock (results) results.Add(result);
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellation.IsCancellationRequested)
                {
                    return;
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(Worker, CancellationToken.None)));
        cancellation.ThrowIfCancellationRequested();
        var wall = Stopwatch.GetElapsedTime(start);
        return new LoadLevel(clients, results, wall, deadline.IsCancellationRequested);
    }
}
