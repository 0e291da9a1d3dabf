using Moxing.Core;
using Moxing.Inference.Generation;
using Moxing.Inference.Sampling;
using Moxing.Inference.Scheduling;
using Moxing.Inference.Sessions;
using static Moxing.Inference.Tests.Scheduling.SchedulerTestModel;
using static Moxing.Inference.Tests.Scheduling.SchedulerDrain;

namespace Moxing.Inference.Tests.Scheduling;

public sealed class ContinuousBatchSchedulerTests(SchedulerTestModel fixture) : IClassFixture<SchedulerTestModel>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static GenerationRequest Request(int[] prompt, int maxTokens, SamplingOptions? sampling = null, int[]? stop = null) => new()
    {
        PromptIds = prompt,
        Limits = new GenerationLimits(maxTokens, stop ?? []),
        Sampling = sampling ?? SamplingOptions.Greedy,
    };

    private ContinuousBatchScheduler Scheduler(SchedulerOptions? options = null) => new(fixture.Decoder, options ?? new SchedulerOptions { ContextSize = 256 });

    [Fact]
    public async Task GreedyGenerationEqualsTokenGenerator()
    {
        // A 40-token prompt fed in chunks of 7 must give the same tokens as one session prefilling it.
        await using var scheduler = Scheduler(new SchedulerOptions { ContextSize = 256, PrefillChunkTokens = 7 });
        var request = Request(Prompt(40, 1), 24);
        var (tokens, outcome) = await Collect(scheduler.Submit(request)).WaitAsync(Patience);
        var (expected, finish) = fixture.Solo(request, 256);
        Assert.Equal(expected, Ids(tokens));
        Assert.Equal(finish, outcome.Finish);
        Assert.Equal(FinishReason.Length, outcome.Finish);
        Assert.Equal(40, outcome.PromptTokens);
        Assert.Equal(0, outcome.CachedPromptTokens);
        Assert.Equal(24, outcome.CompletionTokens);
        Assert.True(outcome.QueueTime <= outcome.TimeToFirstToken && outcome.TimeToFirstToken <= outcome.TotalTime);
        Assert.All(tokens, t => Assert.True(float.IsNaN(t.Logprob) && t.TopLogprobs == null));
    }

    [Fact]
    public async Task ScoredPromptsComeFirstWithTheModelsOwnLogprobsThenTheSoloGeneration()
    {
        // small chunks, a reader buffer of 4 and rows for 3 sequences: scored chunks are cut by room and rows, never lose a token
        await using var scheduler = Scheduler(new SchedulerOptions
        {
            ContextSize = 128,
            MaxRunningSequences = 3,
            PrefillChunkTokens = 7,
            TokenBufferCapacity = 4,
            PrefixCaching = true,
        });
        GenerationRequest Scored(int[] prompt, int max) => Request(prompt, max) with { ScorePrompt = true, TopLogprobs = 2 };
        var prompts = new[] { Prompt(30, 7), Prompt(19, 8), Prompt(30, 7) };
        var requests = new[] { Scored(prompts[0], 3), Scored(prompts[1], 0), Request(prompts[2], 5), Scored(prompts[0], 2) };
        var results = await Task.WhenAll(requests.Select(r => Collect(scheduler.Submit(r)))).WaitAsync(Patience);
        foreach (var (request, (tokens, outcome)) in requests.Zip(results))
        {
            var prompt = request.PromptIds;
            var (generated, finish) = request.Limits.MaxTokens == 0 ? ([], FinishReason.Length) : fixture.Solo(request, 128);
            Assert.Equal(generated, Ids(tokens.Where(t => !t.InPrompt).ToList()));
            Assert.Equal(finish, outcome.Finish);
            Assert.Equal(generated.Length, outcome.CompletionTokens);
            if (!request.ScorePrompt)
            {
                Assert.DoesNotContain(tokens, t => t.InPrompt);
                continue;
            }
            // every prompt token, in order, before any generated one; the first unscored
            Assert.Equal(prompt, Ids(tokens.Take(prompt.Length).ToList()));
            Assert.All(tokens.Take(prompt.Length), t => Assert.True(t.InPrompt));
            Assert.True(float.IsNaN(tokens[0].Logprob) && tokens[0].TopLogprobs == null);
            var expected = fixture.PromptLogprobs(prompt);
            for (var p = 1; p < prompt.Length; p++)
            {
                Assert.Equal(expected[p - 1], tokens[p].Logprob, 1e-3);
                var top = tokens[p].TopLogprobs!;
                Assert.Equal(2, top.Length);
                Assert.True(top[0].Logprob >= top[1].Logprob && top[0].Logprob >= tokens[p].Logprob - 1e-5);
            }
            // a scored prompt is computed whole, even when the cache holds its prefix
            Assert.Equal(0, outcome.CachedPromptTokens);
        }
        await AssertDrained(scheduler);
    }

    [Fact]
    public async Task ConcurrentRequestsEachEqualTheirSoloRun()
    {
        await using var scheduler = Scheduler(new SchedulerOptions { ContextSize = 128, MaxRunningSequences = 4, PrefillChunkTokens = 16 });
        var requests = new List<GenerationRequest>();
        for (var i = 0; i < 10; i++)
        {
            var sampling = i % 2 == 0 ? SamplingOptions.Greedy
                : new SamplingOptions { Temperature = 0.9f, TopK = 50, TopP = 0.95f, RepetitionPenalty = 1.1f, Seed = (ulong)i };
            requests.Add(Request(Prompt(5 + 9 * i, 100 + i), 8 + 3 * i, sampling));
        }
        var streams = requests.Select(r => scheduler.Submit(r)).ToList();
        var results = await Task.WhenAll(streams.Select(Collect)).WaitAsync(Patience);
        for (var i = 0; i < requests.Count; i++)
        {
            var (expected, finish) = fixture.Solo(requests[i], 128);
            Assert.Equal(expected, Ids(results[i].Tokens));
            Assert.Equal(finish, results[i].Outcome.Finish);
            Assert.Equal(requests[i].PromptIds.Length, results[i].Outcome.PromptTokens);
        }
        // Batched: far fewer steps than tokens, as every step advances all running sequences.
        Assert.True(scheduler.Counters.Steps < results.Sum(r => r.Outcome.CompletionTokens), $"{scheduler.Counters.Steps} steps");
        await AssertDrained(scheduler);
    }

    [Fact]
    public async Task ConcurrentDrawsWithLogprobsGiveEachRequestItsOwnScores()
    {
        // a step's draws run together on the worker pool, each thread with its own scorer: batched equals one at a time (to 1e-3:
        // how the requests happen to share steps changes the products' rounding, ~1e-4 on these logprobs; crossed scores differ by far more)
        var requests = Enumerable.Range(0, 6).Select(i => Request(Prompt(6 + 5 * i, 40 + i), 10,
            new SamplingOptions { Temperature = 1.2f, Seed = (ulong)(7 + i) }) with
        { Logprobs = true, TopLogprobs = 3 }).ToList();
        await using var batched = Scheduler(new SchedulerOptions { ContextSize = 128, MaxRunningSequences = 6 });
        var together = await Task.WhenAll(requests.Select(r => Collect(batched.Submit(r)))).WaitAsync(Patience);
        await using var single = Scheduler(new SchedulerOptions { ContextSize = 128, MaxRunningSequences = 1 });
        for (var i = 0; i < requests.Count; i++)
        {
            var alone = await Collect(single.Submit(requests[i])).WaitAsync(Patience);
            Assert.Equal(Ids(alone.Tokens), Ids(together[i].Tokens));
            for (var j = 0; j < alone.Tokens.Count; j++)
            {
                Assert.Equal(alone.Tokens[j].Logprob, together[i].Tokens[j].Logprob, 1e-3);
                Assert.Equal(alone.Tokens[j].TopLogprobs!.Select(t => t.Id), together[i].Tokens[j].TopLogprobs!.Select(t => t.Id));
            }
        }
    }

    [Fact]
    public async Task ASharedPromptPrefixIsReusedAndChangesNothing()
    {
        var options = new SchedulerOptions { ContextSize = 128, KvBlockTokens = 16 };
        await using var cached = Scheduler(options);
        await using var uncached = Scheduler(options with { PrefixCaching = false });
        var system = Prompt(40, 21);
        GenerationRequest Turn(int seed) => Request([.. system, .. Prompt(7, seed)], 12);
        var first = await Collect(cached.Submit(Turn(1))).WaitAsync(Patience);
        Assert.Equal(0, first.Outcome.CachedPromptTokens);
        foreach (var seed in new[] { 2, 3 })
        {
            var (tokens, outcome) = await Collect(cached.Submit(Turn(seed))).WaitAsync(Patience);
            var plain = await Collect(uncached.Submit(Turn(seed))).WaitAsync(Patience);
            Assert.Equal(32, outcome.CachedPromptTokens); // the two full 16-token blocks of the shared 40
            Assert.Equal(47, outcome.PromptTokens);
            Assert.Equal(0, plain.Outcome.CachedPromptTokens);
            Assert.Equal(Ids(plain.Tokens), Ids(tokens));
        }
        // The same prompt again: every full block but the one holding the last prompt token, which must be computed.
        var again = await Collect(cached.Submit(Turn(1))).WaitAsync(Patience);
        Assert.Equal(32, again.Outcome.CachedPromptTokens);
        Assert.Equal(Ids(first.Tokens), Ids(again.Tokens));
        // A follow-up turn whose prompt contains the first answer reuses the generated tokens' blocks too.
        var followUp = Request([.. Turn(1).PromptIds, .. Ids(first.Tokens), .. Prompt(9, 5)], 4);
        var next = await Collect(cached.Submit(followUp)).WaitAsync(Patience);
        Assert.Equal(48, next.Outcome.CachedPromptTokens);
        Assert.Equal(Ids((await Collect(uncached.Submit(followUp))).Tokens), Ids(next.Tokens));
        Assert.Equal(3 * 32 + 48, cached.Counters.PromptTokensCached);
        await AssertDrained(cached);
        Assert.True(cached.Counters.KvBlocksCached > 0);
    }

    [Fact]
    public async Task CachedPrefixesAreEvictedWhenMemoryIsNeeded()
    {
        // A pool of exactly one context (4 blocks): every new prompt must evict what the previous ones left cached.
        var o = fixture.Decoder.Options;
        var blockBytes = 2L * o.LayerCount * o.KvHeadCount * 16 * o.HeadDim * sizeof(ushort); // F16 keys and values
        await using var scheduler = Scheduler(new SchedulerOptions
        {
            ContextSize = 64,
            KvBlockTokens = 16,
            MaxRunningSequences = 2,
            KvMemoryBytes = 4 * blockBytes,
        });
        Assert.Equal(4, scheduler.Counters.KvBlocksTotal);
        var streams = Enumerable.Range(0, 6).Select(i => scheduler.Submit(Request(Prompt(40, 300 + i), 20))).ToList();
        var results = await Task.WhenAll(streams.Select(Collect)).WaitAsync(Patience);
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(20, results[i].Outcome.CompletionTokens);
            Assert.Equal(fixture.Solo(Request(Prompt(40, 300 + i), 20), 64).Ids, Ids(results[i].Tokens));
        }
        await AssertDrained(scheduler);
        Assert.InRange(scheduler.Counters.KvBlocksCached, 1, 4);
    }

    [Fact]
    public async Task ASeedReproducesItsOutput()
    {
        await using var scheduler = Scheduler();
        GenerationRequest Seeded(ulong seed) => Request(Prompt(6, 3), 16, new SamplingOptions { Temperature = 1.5f, Seed = seed });
        var first = await Collect(scheduler.Submit(Seeded(11))).WaitAsync(Patience);
        var again = await Collect(scheduler.Submit(Seeded(11))).WaitAsync(Patience);
        var other = await Collect(scheduler.Submit(Seeded(12))).WaitAsync(Patience);
        Assert.Equal(Ids(first.Tokens), Ids(again.Tokens));
        Assert.NotEqual(Ids(first.Tokens), Ids(other.Tokens));
    }

    [Fact]
    public async Task StopTokenAndContextFullEndLikeTokenGenerator()
    {
        await using var scheduler = Scheduler(new SchedulerOptions { ContextSize = 64 });
        var prompt = Prompt(10, 4);
        var free = fixture.Solo(Request(prompt, 6), 64).Ids;
        var stopped = Request(prompt, 6, stop: [free[3]]);
        var (tokens, outcome) = await Collect(scheduler.Submit(stopped)).WaitAsync(Patience);
        Assert.Equal(free[..Array.IndexOf(free, free[3])], Ids(tokens));
        Assert.Equal(FinishReason.Stop, outcome.Finish);

        var full = Request(Prompt(62, 5), 10);
        (tokens, outcome) = await Collect(scheduler.Submit(full)).WaitAsync(Patience);
        var (expected, finish) = fixture.Solo(full, 64);
        Assert.Equal(FinishReason.ContextFull, finish);
        Assert.Equal(finish, outcome.Finish);
        Assert.Equal(expected, Ids(tokens));
        Assert.Equal(3, outcome.CompletionTokens);
    }

    [Fact]
    public async Task LogprobsAreTheLogSoftmaxOfTheModelLogits()
    {
        await using var scheduler = Scheduler();
        var prompt = Prompt(8, 6);
        var request = Request(prompt, 3) with { Logprobs = true, TopLogprobs = 5 };
        var (tokens, _) = await Collect(scheduler.Submit(request)).WaitAsync(Patience);
        var session = new InferenceSession(fixture.Decoder, 64);
        var logits = session.Prefill(prompt);
        foreach (var token in tokens)
        {
            var max = logits.ToArray().Max();
            var logSum = max + Math.Log(logits.ToArray().Sum(l => Math.Exp(l - max)));
            Assert.Equal(logits[token.Id] - logSum, token.Logprob, 1e-4);
            Assert.NotNull(token.TopLogprobs);
            Assert.Equal(5, token.TopLogprobs!.Length);
            Assert.Equal(token.Id, token.TopLogprobs[0].Id); // greedy: the chosen token is the best alternative
            Assert.Equal(token.Logprob, token.TopLogprobs[0].Logprob, 1e-6);
            for (var i = 1; i < 5; i++) Assert.True(token.TopLogprobs[i].Logprob <= token.TopLogprobs[i - 1].Logprob);
            Assert.True(token.TopLogprobs.Sum(t => Math.Exp(t.Logprob)) <= 1.0001);
            logits = session.Decode(token.Id);
        }
    }

    [Fact]
    public async Task AConstraintMasksEveryStepAndEndsTheRequest()
    {
        await using var scheduler = Scheduler();
        var constraint = new EvenIdsThenDone(3);
        var (tokens, outcome) = await Collect(scheduler.Submit(Request(Prompt(5, 7), 20) with { Constraint = constraint })).WaitAsync(Patience);
        Assert.Equal(3, tokens.Count);
        Assert.All(tokens, t => Assert.Equal(0, t.Id % 2));
        Assert.Equal(Ids(tokens), constraint.Accepted);
        Assert.Equal(FinishReason.Stop, outcome.Finish);
    }

    [Fact]
    public async Task CancellingARequestEndsItAndFreesItsMemory()
    {
        await using var scheduler = Scheduler(new SchedulerOptions { ContextSize = 512, TokenBufferCapacity = 4 });
        using var cancel = new CancellationTokenSource();
        var stream = scheduler.Submit(Request(Prompt(4, 8), 500), cancel.Token);
        var first = await stream.Tokens.ReadAsync().AsTask().WaitAsync(Patience);
        Assert.True(scheduler.Counters.KvBlocksUsed > 0);
        cancel.Cancel();
        var outcome = await stream.Completion.WaitAsync(Patience);
        Assert.Equal(FinishReason.Cancelled, outcome.Finish);
        Assert.InRange(outcome.CompletionTokens, 1, 500 - 1);
        await AssertDrained(scheduler);
        Assert.Equal(1, scheduler.Counters.Cancelled);
        _ = first;
    }

    [Fact]
    public async Task AFullQueueRefusesWithARetryHint()
    {
        await using var scheduler = Scheduler(new SchedulerOptions { ContextSize = 512, MaxRunningSequences = 1, MaxWaitingRequests = 2, TokenBufferCapacity = 1 });
        using var cancel = new CancellationTokenSource();
        // Unread streams with a one-token buffer keep the only slot busy.
        for (var i = 0; i < 3; i++) scheduler.Submit(Request(Prompt(4, i), 400), cancel.Token);
        var refused = Assert.Throws<QueueFullException>(() => scheduler.Submit(Request(Prompt(4, 9), 4)));
        Assert.True(refused.RetryAfter >= TimeSpan.FromSeconds(1));
        Assert.IsAssignableFrom<MoxingException>(refused);
        Assert.Equal(1, scheduler.Counters.Rejected);
        cancel.Cancel();
        await AssertDrained(scheduler);
    }

    [Fact]
    public async Task BadRequestsAreRefusedBeforeQueuing()
    {
        await using var scheduler = Scheduler(new SchedulerOptions { ContextSize = 32 });
        var overflow = Assert.Throws<ContextOverflowException>(() => scheduler.Submit(Request(Prompt(33, 1), 4)));
        Assert.Equal(32, overflow.ContextSize);
        Assert.Throws<MoxingException>(() => scheduler.Submit(Request([], 4)));
        Assert.Throws<MoxingException>(() => scheduler.Submit(Request([5, 1024], 4)));
        Assert.Throws<MoxingException>(() => scheduler.Submit(Request([5], 0)));
        Assert.Throws<MoxingException>(() => scheduler.Submit(Request([5], 4) with { TopLogprobs = 21 }));
        Assert.Throws<ArgumentException>(() => scheduler.Submit(Request([5], 4, new SamplingOptions { TopP = 0 })));
        Assert.Equal(0, scheduler.Counters.Waiting);
    }

    [Fact]
    public async Task ARequestPastItsTimeLimitFailsAndFreesItsMemory()
    {
        await using var scheduler = Scheduler(new SchedulerOptions { ContextSize = 512, TokenBufferCapacity = 1 });
        // Nobody reads: the sequence pauses on its full buffer until the limit expires.
        var stream = scheduler.Submit(Request(Prompt(4, 2), 400) with { Timeout = TimeSpan.FromMilliseconds(200) });
        var error = await Assert.ThrowsAsync<RequestTimeoutException>(() => stream.Completion.WaitAsync(Patience));
        Assert.Equal(TimeSpan.FromMilliseconds(200), error.Limit);
        await AssertDrained(scheduler);
        Assert.Equal(1, scheduler.Counters.Failed);
    }

    [Fact]
    public async Task AFloodingTenantDoesNotStarveAnother()
    {
        await using var scheduler = Scheduler(new SchedulerOptions { ContextSize = 512, MaxRunningSequences = 1, TokenBufferCapacity = 1 });
        // An unread request holds the only slot until every other request is queued, so the order is the queue's alone.
        using var blocker = new CancellationTokenSource();
        var blocked = scheduler.Submit(Request(Prompt(4, 99), 400) with { Tenant = "first" }, blocker.Token);
        await blocked.Tokens.ReadAsync().AsTask().WaitAsync(Patience);
        var finished = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var all = new List<Task>();
        void Submit(string tenant, int i)
        {
            var stream = scheduler.Submit(Request(Prompt(4, i), 4) with { Tenant = tenant });
            all.Add(Collect(stream).ContinueWith(_ => finished.Enqueue(tenant), TaskContinuationOptions.ExecuteSynchronously));
        }
        for (var i = 0; i < 12; i++) Submit("flood", i);
        Submit("quiet", 100);
        Submit("quiet", 101);
        Assert.Equal(14, scheduler.Counters.Waiting);
        blocker.Cancel();
        await Task.WhenAll(all).WaitAsync(Patience);
        Assert.Equal(FinishReason.Cancelled, (await blocked.Completion).Finish);
        Assert.Equal(["flood", "quiet", "flood", "quiet"], finished.Take(4));
    }

    [Fact]
    public async Task ThousandRequestsWithRandomCancellationsLeaveNothingBehind()
    {
        var scheduler = Scheduler(new SchedulerOptions { ContextSize = 64, MaxRunningSequences = 8, MaxWaitingRequests = 1000, TokenBufferCapacity = 2, PrefillChunkTokens = 8 });
        var random = new Random(42);
        var work = new List<Task>();
        var sources = new List<CancellationTokenSource>();
        for (var i = 0; i < 1000; i++)
        {
            var cancel = new CancellationTokenSource();
            sources.Add(cancel);
            var sampling = i % 3 == 0 ? SamplingOptions.Greedy : new SamplingOptions { Seed = (ulong)i };
            var request = Request(Prompt(random.Next(1, 20), i), random.Next(1, 12), sampling) with { Tenant = $"t{i % 5}" };
            var stream = scheduler.Submit(request, cancel.Token);
            switch (random.Next(4))
            {
                case 0: cancel.Cancel(); break;
                case 1: cancel.CancelAfter(random.Next(0, 5)); break;
            }
            // Some clients read to the end, some walk away without reading (their cancel frees the sequence).
            var reads = random.Next(3) != 0;
            work.Add(reads ? Consume(stream) : stream.Completion.ContinueWith(_ => { }, TaskScheduler.Default));
            if (!reads) cancel.CancelAfter(random.Next(0, 20));
        }
        await Task.WhenAll(work).WaitAsync(TimeSpan.FromSeconds(60));
        await AssertDrained(scheduler);
        var counters = scheduler.Counters;
        Assert.Equal(1000, counters.Completed + counters.Cancelled + counters.Failed);
        Assert.Equal(0, counters.Failed);
        await scheduler.DisposeAsync();
        Assert.False(scheduler.IsRunning);
        foreach (var s in sources) s.Dispose();

        static async Task Consume(GenerationStream stream)
        {
            await foreach (var _ in stream.Tokens.ReadAllAsync()) { }
            await stream.Completion;
        }
    }

    [Fact]
    public async Task AnIdleSchedulerSleeps()
    {
        await using var scheduler = Scheduler();
        await Collect(scheduler.Submit(Request(Prompt(4, 1), 4))).WaitAsync(Patience);
        var steps = scheduler.Counters.Steps;
        await Task.Delay(100);
        Assert.Equal(steps, scheduler.Counters.Steps);
        Assert.True(scheduler.IsRunning);
    }

    [Fact]
    public async Task DisposingEndsPendingRequestsAndRefusesNewOnes()
    {
        var scheduler = Scheduler(new SchedulerOptions { ContextSize = 512, MaxRunningSequences = 1, TokenBufferCapacity = 1 });
        var running = scheduler.Submit(Request(Prompt(4, 1), 400));
        var waiting = scheduler.Submit(Request(Prompt(4, 2), 400));
        await scheduler.DisposeAsync();
        Assert.Equal(FinishReason.Cancelled, (await running.Completion.WaitAsync(Patience)).Finish);
        Assert.Equal(FinishReason.Cancelled, (await waiting.Completion.WaitAsync(Patience)).Finish);
        Assert.False(scheduler.IsRunning);
        Assert.Throws<ObjectDisposedException>(() => scheduler.Submit(Request(Prompt(4, 3), 4)));
    }

    /// <summary>Allows only even ids and is complete after <paramref name="length"/> of them.</summary>
    private sealed class EvenIdsThenDone(int length) : Moxing.Inference.Constraints.ITokenConstraint
    {
        public List<int> Accepted { get; } = [];

        public void Mask(Span<float> logits)
        {
            for (var i = 1; i < logits.Length; i += 2) logits[i] = float.NegativeInfinity;
        }

        public void Accept(int tokenId) => Accepted.Add(tokenId);

        public bool IsComplete => Accepted.Count >= length;
    }
}
