using System.Net;
using Moxing.Inference.Scheduling;
using Moxing.Server.Metering;
using Moxing.Server.Models;
using Moxing.Server.Tenants;
using Moxing.Server.Tests.Data;
using Moxing.Server.Tests.Observability;
using Xunit.Abstractions;

namespace Moxing.Server.Tests.Tenants;

/// <summary>
/// Weighted fair queuing over real HTTP: tenant A floods a model with 200 requests, tenant B sends 10 one after another (a light
/// interactive user), and B's queue time under the flood stays within twice B's request time on an idle server. Queue times
/// come from the usage rows. Steps are paced by a sleep on the scheduler thread, so time is counted in steps rather than in CPU
/// speed and the result holds on a slow or loaded machine.
/// </summary>
public sealed class FairnessHttpTests(ITestOutputHelper output)
{
    private const int Slots = 2;
    private const int MaxTokens = 8;
    private const int Flood = 200;
    private const int Light = 10;
    private static readonly TimeSpan StepPause = TimeSpan.FromMilliseconds(20);

    /// Sleeps after every step of the scheduler, then tells the server's own observer.
    private sealed class PacedSteps(IStepObserver? inner) : IStepObserver
    {
        public void StepCompleted(int sequences, int tokens)
        {
            Thread.Sleep(StepPause);
            inner?.StepCompleted(sequences, tokens);
        }

        public void Preempted() => inner?.Preempted();
    }

    [Fact]
    public async Task ATenantFloodingTheQueueDoesNotHoldUpAnother()
    {
        await using var s = await KeyedServer.StartAsync(TestDatabase.Sqlite, [ServerFixture.ModelPath(ServerFixture.Llama)],
            (model, settings) => Engines.ContinuousBatching(model, settings with { StepObserver = new PacedSteps(settings.StepObserver) }),
            o => o with { Manager = o.Manager with { Parallel = Slots } });
        var a = s.Keys.Create("a", new KeyLimits());
        var b = s.Keys.Create("b", new KeyLimits());
        var late = s.Keys.Create("a", new KeyLimits());

        // Idle: B alone, one request after another.
        await SendInTurnAsync(s, b.Key);
        var idle = s.Rows(b.Record.Id);
        var idleTime = Median(idle.Select(r => r.TotalMs));

        // A floods; once most of the flood waits, B sends the same 10 requests, and so does a second key of A's.
        var flood = Enumerable.Range(0, Flood).Select(_ => s.PostAsync(a.Key, "/v1/chat/completions", KeyedServer.Chat(MaxTokens))).ToList();
        await WaitForQueueAsync(s, a.Key, Flood / 4);
        var lateA = Enumerable.Range(0, Light).Select(_ => s.PostAsync(late.Key, "/v1/chat/completions", KeyedServer.Chat(MaxTokens))).ToList();
        await SendInTurnAsync(s, b.Key);
        var floodDoneWhenBWas = s.Rows(a.Record.Id).Count;
        Assert.All(await Task.WhenAll(flood.Concat(lateA)), r => Assert.Equal(HttpStatusCode.OK, r.Status));

        var underFlood = s.Rows(b.Record.Id).Skip(Light).ToList();
        var bQueue = Median(underFlood.Select(r => r.QueueMs));
        var lateQueue = Median(s.Rows(late.Record.Id).Select(r => r.QueueMs));
        var report = $"B idle: median time {idleTime:F0} ms; under the flood: median queue {bQueue:F0} ms; A's late requests: median queue {lateQueue:F0} ms; "
            + $"A had finished {floodDoneWhenBWas} of {Flood} when B was done";
        output.WriteLine(report);
        // B really ran while the model was saturated by A …
        Assert.True(floodDoneWhenBWas < Flood, report);
        // … its requests waited at most about one request for a slot (the issue's bound) …
        Assert.True(bQueue <= 2 * idleTime, report);
        // … while A's own requests sent at the same moment waited behind A's flood: the queue is fair between tenants, not FIFO.
        Assert.True(lateQueue > 2 * idleTime, report);
    }

    private static async Task SendInTurnAsync(KeyedServer s, string key)
    {
        for (var i = 0; i < Light; i++)
        {
            var (status, body, _) = await s.PostAsync(key, "/v1/chat/completions", KeyedServer.Chat(MaxTokens));
            Assert.True(status == HttpStatusCode.OK, body?.ToJsonString());
        }
    }

    // Polls the server's /metrics until at least `waiting` requests wait for a slot.
    private static async Task WaitForQueueAsync(KeyedServer s, string key, int waiting)
    {
        var labels = $"{{model_name=\"{ServerFixture.Llama}\"}}";
        var scrape = "";
        for (var i = 0; i < 600; i++)
        {
            using var request = KeyedServer.Request(HttpMethod.Get, "/metrics", key);
            using var response = await s.Http.SendAsync(request);
            scrape = await response.Content.ReadAsStringAsync();
            if (MetricsText.Sample(scrape, "moxing_num_requests_waiting", labels) >= waiting) return;
            await Task.Delay(50);
        }
        Assert.Fail($"the flood never had {waiting} requests waiting:\n" + string.Join('\n', scrape.Split('\n').Where(l => l.StartsWith("moxing_num_requests") || l.StartsWith("moxing_request_success"))));
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        Assert.NotEmpty(sorted);
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
