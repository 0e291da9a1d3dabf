using System.Diagnostics;

namespace Moxing.Cli.Benchmarks.Serving;

/// <summary>The outcome of one concurrency level: every request's timings and the wall time they took together.</summary>
internal sealed record LoadLevel(int Clients, IReadOnlyList<StreamedRequest> Requests, TimeSpan Wall, bool TimedOut)
{
    public int Succeeded => Requests.Count(r => r.Succeeded);

    public int CompletionTokens => Requests.Sum(r => r.CompletionTokens);

    /// <summary>Generated tokens per second over the level's wall time, all clients together.</summary>
    public double AggregateTokensPerSecond => Wall.TotalSeconds > 0 ? CompletionTokens / Wall.TotalSeconds : 0;

    public IReadOnlyList<double> TimeToFirstTokenMs => Requests.Where(r => r.Succeeded).Select(r => r.TimeToFirstToken.TotalMilliseconds).ToList();

    public IReadOnlyList<double> InterTokenMs => Requests.SelectMany(r => r.InterTokenMs).ToList();
}

/// <summary>Runs a fixed number of streaming requests with a fixed number of concurrent clients, bounded in time.</summary>
internal sealed class ServingLoad(StreamingCompletionClient client, int maxTokens, string promptText)
{
    public async Task<LoadLevel> RunAsync(int clients, int requests, TimeSpan limit, CancellationToken cancellation)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(limit);
        var results = new StreamedRequest?[requests];
        var next = -1;
        var start = Stopwatch.GetTimestamp();
        async Task Worker()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests && !deadline.IsCancellationRequested)
            {
                try
                {
                    // Each request differs at its start, so no two share a cached prefix beyond what real users would.
                    results[i] = await client.SendAsync($"Request {i}. {promptText}", maxTokens, deadline.Token);
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
        return new LoadLevel(clients, results.Where(r => r != null).Select(r => r!).ToList(), wall, deadline.IsCancellationRequested);
    }
}
