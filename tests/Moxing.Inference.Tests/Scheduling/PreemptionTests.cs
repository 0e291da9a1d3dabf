using System.Text.Json;
using Moxing.Core.Tensors;
using Moxing.Inference.Constraints;
using Moxing.Inference.Generation;
using Moxing.Inference.Sampling;
using Moxing.Inference.Scheduling;
using Moxing.Models.Decoder;
using static Moxing.Inference.Tests.Scheduling.SchedulerTestModel;
using static Moxing.Inference.Tests.Scheduling.SchedulerDrain;

namespace Moxing.Inference.Tests.Scheduling;

/// <summary>
/// Admission by current need and preemption by recompute (KvAdmission.OnDemand) in a KV pool far smaller than the requests'
/// worst case: every reply is the one its request gives alone, and the pool drains.
/// </summary>
public sealed class PreemptionTests(SchedulerTestModel fixture) : IClassFixture<SchedulerTestModel>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private const int Context = 64;
    private const int BlockTokens = 16;

    private static GenerationRequest Request(int[] prompt, int maxTokens, SamplingOptions? sampling = null) => new()
    {
        PromptIds = prompt,
        Limits = new GenerationLimits(maxTokens, []),
        Sampling = sampling ?? SamplingOptions.Greedy,
    };

    // A context of 64 positions is 4 blocks of 16.
    private ContinuousBatchScheduler Scheduler(int blocks, bool prefixCaching = true, int sequences = 4, KvAdmission admission = KvAdmission.OnDemand,
        int buffer = 64, IStepObserver? observer = null, int speculative = 0) => new(fixture.Decoder, new SchedulerOptions
        {
            SpeculativeTokens = speculative,
            ContextSize = Context,
            KvBlockTokens = BlockTokens,
            MaxRunningSequences = sequences,
            PrefillChunkTokens = 16,
            KvMemoryBytes = blocks * BlockTokens * KvBlockPool.BytesPerPosition(fixture.Decoder.Options, DType.F16),
            PrefixCaching = prefixCaching,
            Admission = admission,
            TokenBufferCapacity = buffer,
            StepObserver = observer,
        });

    // Prompts of 6 to 27 tokens asking for up to 40 more: each may fill the 4 blocks of its context.
    private static List<GenerationRequest> Load(Func<int, SamplingOptions> sampling) =>
        [.. Enumerable.Range(0, 8).Select(i => Request(Prompt(6 + 3 * i, 500 + i), 40, sampling(i)))];

    // Runs the requests together and checks that each gives the tokens and finish TokenGenerator gives it alone; returns the
    // outcomes once the pool has drained.
    private async Task<GenerationOutcome[]> AssertEachAsAlone(ContinuousBatchScheduler scheduler, IReadOnlyList<GenerationRequest> requests)
    {
        var results = await Task.WhenAll(requests.Select(r => Collect(scheduler.Submit(r)))).WaitAsync(Patience);
        for (var i = 0; i < requests.Count; i++)
        {
            var (expected, finish) = fixture.Solo(requests[i], Context);
            Assert.Equal(expected, Ids(results[i].Tokens));
            Assert.Equal(finish, results[i].Outcome.Finish);
            Assert.Equal(expected.Length, results[i].Outcome.CompletionTokens);
        }
        await AssertDrained(scheduler);
        return [.. results.Select(r => r.Outcome)];
    }

    // What each request gives on a scheduler with room for every sequence at full context, one request at a time.
    private async Task<(List<GeneratedToken> Tokens, GenerationOutcome Outcome)[]> Alone(IEnumerable<GenerationRequest> requests)
    {
        await using var roomy = Scheduler(blocks: 4, sequences: 1);
        var results = new List<(List<GeneratedToken>, GenerationOutcome)>();
        foreach (var request in requests) results.Add(await Collect(roomy.Submit(request)).WaitAsync(Patience));
        Assert.Equal(0, roomy.Counters.Preemptions);
        return [.. results];
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task GreedyRepliesUnderPreemptionAreThoseOfEachRequestAlone(bool prefixCaching)
    {
        var requests = Load(_ => SamplingOptions.Greedy);
        // six blocks: two sequences run at once and grow into each other's room
        await using var scheduler = Scheduler(blocks: 6, prefixCaching);
        var outcomes = await AssertEachAsAlone(scheduler, requests);
        Assert.Equal(requests.Select(r => (r.PromptIds.Length, 0)), outcomes.Select(o => (o.PromptTokens, o.CachedPromptTokens)));
        var counters = scheduler.Counters;
        Assert.True(counters.Preemptions > 0, "no sequence was preempted");
        Assert.True(counters.RecomputedTokens > 0);
        // recomputed positions are not prompt tokens, and blocks a resumed sequence found in the cache are not cached prompt tokens
        Assert.Equal(requests.Sum(r => r.PromptIds.Length), counters.PromptTokensComputed);
        Assert.Equal(0, counters.PromptTokensCached);
    }

    [Fact]
    public async Task SampledRepliesWithPenaltiesAndLogprobsGoOnExactlyAfterPreemption()
    {
        var requests = Load(i => new SamplingOptions
        {
            Temperature = 0.9f,
            TopK = 50,
            TopP = 0.95f,
            RepetitionPenalty = 1.1f,
            FrequencyPenalty = 0.2f,
            Seed = (ulong)(30 + i),
        }).Select(r => r with { Logprobs = true, TopLogprobs = 2 }).ToList();
        await using var scheduler = Scheduler(blocks: 6);
        var results = await Task.WhenAll(requests.Select(r => Collect(scheduler.Submit(r)))).WaitAsync(Patience);
        var alone = await Alone(requests);
        for (var i = 0; i < requests.Count; i++)
        {
            Assert.Equal(Ids(alone[i].Tokens), Ids(results[i].Tokens));
            Assert.Equal(alone[i].Outcome.Finish, results[i].Outcome.Finish);
            for (var j = 0; j < alone[i].Tokens.Count; j++)
            {
                Assert.Equal(alone[i].Tokens[j].Logprob, results[i].Tokens[j].Logprob, 1e-3);
                Assert.Equal(alone[i].Tokens[j].TopLogprobs!.Select(t => t.Id), results[i].Tokens[j].TopLogprobs!.Select(t => t.Id));
            }
        }
        Assert.True(scheduler.Counters.Preemptions > 0, "no sequence was preempted");
        await AssertDrained(scheduler);
    }

    [Fact]
    public async Task SpeculatingSequencesArePreemptedWithoutChangingTheirReplies()
    {
        // a repetition "penalty" below 1 makes the tiny model loop, so it drafts, and drafts take blocks of their own
        var requests = Load(_ => new SamplingOptions { Temperature = 0, RepetitionPenalty = 0.3f });
        await using var scheduler = Scheduler(blocks: 6, speculative: 6);
        await AssertEachAsAlone(scheduler, requests);
        Assert.True(scheduler.Counters.Preemptions > 0, "no sequence was preempted");
    }

    [Fact]
    public async Task AJsonSchemaConstraintGoesOnExactlyAfterPreemption()
    {
        var schema = JsonDocument.Parse("""
            {"type":"object","properties":{"name":{"type":"string","maxLength":12},"n":{"type":"integer","minimum":0,"maximum":999}},
             "required":["name","n"],"additionalProperties":false}
            """).RootElement;
        // a fresh constraint per run: it follows the tokens its request accepted
        List<GenerationRequest> Constrained() => [.. Load(i => i % 2 == 0 ? SamplingOptions.Greedy : new SamplingOptions { Temperature = 0.8f, Seed = (ulong)i })
            .Select(r => r with { Constraint = new JsonSchemaConstraint(schema, fixture.Tokenizer, [2]), Limits = new GenerationLimits(40, [2]) })];
        await using var scheduler = Scheduler(blocks: 6);
        var requests = Constrained();
        var results = await Task.WhenAll(requests.Select(r => Collect(scheduler.Submit(r)))).WaitAsync(Patience);
        var alone = await Alone(Constrained());
        for (var i = 0; i < requests.Count; i++)
        {
            Assert.Equal(Ids(alone[i].Tokens), Ids(results[i].Tokens));
            Assert.Equal(alone[i].Outcome.Finish, results[i].Outcome.Finish);
        }
        Assert.True(scheduler.Counters.Preemptions > 0, "no sequence was preempted");
        await AssertDrained(scheduler);
    }

    [Fact]
    public async Task APromptPreemptedWhileScoredResumesWithoutScoringAnyTokenTwice()
    {
        var preempted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // one context of blocks, and reader buffers of 8 tokens that stall whoever is not read
        await using var scheduler = Scheduler(blocks: 4, sequences: 2, buffer: 8, observer: new OnPreempted(() => preempted.TrySetResult()));
        var first = Request(Prompt(4, 61), 50);
        var scored = Request(Prompt(30, 62), 3) with { ScorePrompt = true, TopLogprobs = 1 };
        var firstStream = scheduler.Submit(first);
        // the first sequence stalls on its unread buffer within its first block; the scored one then takes one block and stalls too
        var firstTokens = new List<GeneratedToken> { await firstStream.Tokens.ReadAsync().AsTask().WaitAsync(Patience) };
        var scoredStream = scheduler.Submit(scored);
        await WaitFor(() => firstStream.Tokens.Count == 8 && scoredStream.Tokens.Count == 8);
        // read on, the first grows into the last free block, then into the scored one's
        var rest = Collect(firstStream);
        await preempted.Task.WaitAsync(Patience);
        var (tokens, outcome) = await Collect(scoredStream).WaitAsync(Patience);
        firstTokens.AddRange((await rest.WaitAsync(Patience)).Tokens);

        Assert.Equal(fixture.Solo(first, Context).Ids, Ids(firstTokens));
        Assert.Equal(scored.PromptIds, Ids([.. tokens.Take(30)]));
        Assert.All(tokens.Take(30), t => Assert.True(t.InPrompt));
        var logprobs = fixture.PromptLogprobs(scored.PromptIds);
        for (var p = 1; p < 30; p++) Assert.Equal(logprobs[p - 1], tokens[p].Logprob, 1e-3);
        Assert.Equal(fixture.Solo(scored, Context).Ids, Ids([.. tokens.Skip(30)]));
        Assert.Equal((30, 3), (outcome.PromptTokens, outcome.CompletionTokens));
        var counters = scheduler.Counters;
        Assert.Equal(1, counters.Preemptions);
        // stalled after scoring 7 positions (its prompt's first token and 7 scores fill the buffer), it recomputes those 7
        Assert.Equal(7, counters.RecomputedTokens);
        await AssertDrained(scheduler);
    }

    [Fact]
    public async Task ACancelledPreemptedRequestEndsAndFreesEverything()
    {
        using var cancel = new CancellationTokenSource();
        // one context of blocks; the client of the second request leaves as soon as it is preempted
        await using var scheduler = Scheduler(blocks: 4, sequences: 2, observer: new OnPreempted(cancel.Cancel));
        var first = Request(Prompt(4, 71), 56);
        var second = Request(Prompt(4, 72), 56);
        var firstRun = Collect(scheduler.Submit(first));
        var secondRun = Collect(scheduler.Submit(second, cancel.Token));
        var (tokens, outcome) = await secondRun.WaitAsync(Patience);
        Assert.Equal(FinishReason.Cancelled, outcome.Finish);
        var alone = fixture.Solo(second, Context).Ids;
        Assert.Equal(alone[..tokens.Count], Ids(tokens));
        Assert.Equal(fixture.Solo(first, Context).Ids, Ids((await firstRun.WaitAsync(Patience)).Tokens));
        var counters = scheduler.Counters;
        Assert.Equal((1, 1, 1), (counters.Preemptions, counters.Cancelled, counters.Completed));
        await AssertDrained(scheduler);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ABudgetOfExactlyOneContextServesEveryRequestWithoutLivelock(bool prefixCaching)
    {
        // every request fills its whole context; half share a first block, so resumed sequences and cached prefixes meet
        var shared = Prompt(16, 80);
        var requests = Enumerable.Range(0, 6)
            .Select(i => Request(i % 2 == 0 ? [.. shared, .. Prompt(2, 81 + i)] : Prompt(5, 81 + i), Context))
            .ToList();
        await using var scheduler = Scheduler(blocks: 4, prefixCaching);
        Assert.All(await AssertEachAsAlone(scheduler, requests), o => Assert.Equal(FinishReason.ContextFull, o.Finish));
        Assert.True(scheduler.Counters.Preemptions > 0, "no sequence was preempted");
    }

    [Fact]
    public async Task APreemptedRequestResumesAheadOfTheQueue()
    {
        // one context of blocks and two slots: the third request waits from the start, yet the second, preempted later, resumes
        // first; the third's 3-block prompt then fits only once the second has finished
        await using var scheduler = Scheduler(blocks: 4, prefixCaching: false, sequences: 2);
        var requests = new[] { Request(Prompt(4, 91), 56), Request(Prompt(4, 92), 40), Request(Prompt(40, 93), 4) };
        var submitting = System.Diagnostics.Stopwatch.StartNew();
        var streams = requests.Select(r => scheduler.Submit(r)).ToList();
        var spread = submitting.Elapsed;
        var results = await Task.WhenAll(streams.Select(Collect)).WaitAsync(Patience);
        for (var i = 0; i < requests.Length; i++) Assert.Equal(fixture.Solo(requests[i], Context).Ids, Ids(results[i].Tokens));
        Assert.Equal(1, scheduler.Counters.Preemptions);
        // the third was first admitted after the second had ended (their submissions lie `spread` apart at most)
        Assert.True(results[2].Outcome.QueueTime > results[1].Outcome.TotalTime - spread,
            $"queued {results[2].Outcome.QueueTime.TotalMilliseconds} ms, the second ended after {results[1].Outcome.TotalTime.TotalMilliseconds} ms");
        await AssertDrained(scheduler);
    }

    [Fact]
    public async Task PromptsAdmittedTogetherDoNotOvercommitThePool()
    {
        // prompts of 3 blocks growing into a fourth, in a pool of 6: a second one admitted before the first has taken its prompt's
        // blocks would be preempted when the first grows; counting those blocks admits them one after another
        var requests = Enumerable.Range(0, 3).Select(i => Request(Prompt(40, 95 + i), 12)).ToList();
        await using var scheduler = Scheduler(blocks: 6);
        await AssertEachAsAlone(scheduler, requests);
        Assert.Equal(0, scheduler.Counters.Preemptions);
    }

    [Theory]
    [InlineData(0.01, 1)]
    [InlineData(0.0, 2)]
    public async Task TheWatermarkKeepsBlocksForRunningSequencesToGrowInto(double watermark, int running)
    {
        // the first sequence stalls on its unread buffer holding one block; a 3-block prompt then fits only without a watermark
        await using var scheduler = new ContinuousBatchScheduler(fixture.Decoder, new SchedulerOptions
        {
            ContextSize = Context,
            KvBlockTokens = BlockTokens,
            KvMemoryBytes = 4 * BlockTokens * KvBlockPool.BytesPerPosition(fixture.Decoder.Options, DType.F16),
            TokenBufferCapacity = 4,
            KvWatermark = watermark,
        });
        using var cancel = new CancellationTokenSource();
        var stalled = scheduler.Submit(Request(Prompt(4, 98), 50), cancel.Token);
        await WaitFor(() => stalled.Tokens.Count == 4);
        var next = scheduler.Submit(Request(Prompt(40, 99), 50), cancel.Token);
        await Task.Delay(100);
        Assert.Equal((running, 2 - running), (scheduler.Counters.Running, scheduler.Counters.Waiting));
        cancel.Cancel();
        await Task.WhenAll(stalled.Completion, next.Completion).WaitAsync(Patience);
        await AssertDrained(scheduler);
    }

    [Fact]
    public async Task ReserveAdmissionNeverPreemptsAndGivesTheSameReplies()
    {
        var requests = Load(_ => SamplingOptions.Greedy);
        await using var scheduler = Scheduler(blocks: 6, admission: KvAdmission.Reserve);
        await AssertEachAsAlone(scheduler, requests);
        Assert.Equal(0, scheduler.Counters.Preemptions);
        Assert.Throws<ArgumentException>(() => new SchedulerOptions { KvWatermark = 1.5 }.Validate());
        Assert.Throws<ArgumentException>(() => new SchedulerOptions { Admission = (KvAdmission)7 }.Validate());
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        for (var i = 0; i < 1000 && !condition(); i++) await Task.Delay(5);
        Assert.True(condition());
    }

    private sealed class OnPreempted(Action preempted) : IStepObserver
    {
        public void StepCompleted(int sequences, int tokens)
        {
        }

        public void Preempted() => preempted();
    }
}
