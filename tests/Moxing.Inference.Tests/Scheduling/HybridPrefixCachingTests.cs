using Moxing.Core.Tensors;
using Moxing.Inference.Generation;
using Moxing.Inference.Sampling;
using Moxing.Inference.Scheduling;
using Moxing.Models;
using Moxing.Models.Decoder;
using Moxing.Models.Synthesis;
using static Moxing.Inference.Tests.Scheduling.SchedulerTestModel;

namespace Moxing.Inference.Tests.Scheduling;

/// <summary>
/// Prefix caching for models with recurrent layers (synth tiny-qwen35, tiny-lfm2, tiny-mamba2, …): a request restores the
/// recurrent-state snapshot deepest in its prompt with the KV blocks before it, computes the rest, and gives the tokens and
/// log-probabilities it gives cold; snapshots are evicted within their budget and the pool's accounting returns to zero.
/// </summary>
public sealed class HybridPrefixCachingTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private const int Block = 16;
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-hybrid-cache-").FullName;
    private LoadedModel _model = null!;

    /// <summary>The synthetic shapes with recurrent state.</summary>
    public static TheoryData<string> Shapes() => HybridSchedulingTests.Shapes();

    private DecoderModel Load(string shape)
    {
        var path = Path.Combine(_dir, shape + ".gguf");
        SyntheticModelWriter.Write(SynthShape.Find(shape)!, SynthFileType.Find("F16")!, 5, path);
        _model = ModelLoader.Load(path);
        return _model.RequireDecoder();
    }

    public void Dispose()
    {
        _model?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static readonly int[] System = Prompt(40, 21);

    // The shared 40-token system prompt, then 7 tokens of a user's own.
    private static GenerationRequest Turn(int seed, int maxTokens = 12, SamplingOptions? sampling = null) =>
        Request([.. System, .. Prompt(7, seed)], maxTokens, sampling);

    private static GenerationRequest Request(int[] prompt, int maxTokens, SamplingOptions? sampling = null) => new()
    {
        PromptIds = prompt,
        Limits = new GenerationLimits(maxTokens, []),
        Sampling = sampling ?? SamplingOptions.Greedy,
        Logprobs = true,
    };

    private static ContinuousBatchScheduler Scheduler(DecoderModel decoder, bool caching, int chunk = 256, int snapshots = -1, long kvBytes = 0) => new(decoder, new SchedulerOptions
    {
        ContextSize = 128,
        KvBlockTokens = Block,
        MaxRunningSequences = 4,
        PrefillChunkTokens = chunk,
        PrefixCaching = caching,
        StateSnapshots = snapshots,
        KvMemoryBytes = kvBytes,
    });

    // A scheduler of `sequences` running and `snapshots` state snapshots (caching off without) in a budget of their states and `blocks` blocks.
    private static ContinuousBatchScheduler Sized(DecoderModel decoder, int context, int sequences, int snapshots, int blocks) => new(decoder, new SchedulerOptions
    {
        ContextSize = context,
        KvBlockTokens = Block,
        MaxRunningSequences = sequences,
        StateSnapshots = snapshots,
        PrefixCaching = snapshots > 0,
        KvMemoryBytes = (sequences + snapshots) * KvBlockPool.StateBytesPerSequence(decoder.Options) + blocks * Block * KvBlockPool.BytesPerPosition(decoder.Options, DType.F16),
    });

    // Same ids and log-probabilities (to 1e-4: a chunk's row count changes the products' rounding, ~1e-6 here).
    private static void AssertSame(List<GeneratedToken> expected, List<GeneratedToken> actual)
    {
        Assert.Equal(Ids(expected), Ids(actual));
        for (var i = 0; i < expected.Count; i++) Assert.Equal(expected[i].Logprob, actual[i].Logprob, 1e-4);
    }

    private static async Task<SchedulerCounters> Drained(ContinuousBatchScheduler scheduler)
    {
        var counters = scheduler.Counters;
        for (var i = 0; i < 100 && (counters.Running | counters.Waiting | counters.KvBlocksUsed | counters.RecurrentStatesUsed) != 0; i++)
        {
            await Task.Delay(10);
            counters = scheduler.Counters;
        }
        Assert.Equal((0, 0, 0, 0), (counters.Running, counters.Waiting, counters.KvBlocksUsed, counters.RecurrentStatesUsed));
        return counters;
    }

    // Disposed, the scheduler gives every block and snapshot back: none was leaked.
    private static async Task AssertAllReturned(ContinuousBatchScheduler scheduler)
    {
        await scheduler.DisposeAsync();
        var counters = scheduler.Counters;
        Assert.Equal((0, 0, 0, 0), (counters.KvBlocksUsed, counters.KvBlocksCached, counters.StateSnapshots, counters.RecurrentStatesUsed));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task SharedPrefixesAndEarlierTurnsAreRestoredAndChangeNothing(string shape)
    {
        var decoder = Load(shape);
        // chunks of 13: the snapshot points cut chunks that do not end on them
        await using var cold = Scheduler(decoder, caching: false, chunk: 13);
        // room for every snapshot the requests leave (eviction is another test's)
        var warm = Scheduler(decoder, caching: true, chunk: 13, snapshots: 12);
        Assert.True(warm.Options.PrefixCaching);
        Assert.Equal(0, warm.Options.SpeculativeTokens);
        async Task<List<GeneratedToken>> Run(GenerationRequest request, int cached)
        {
            var (tokens, outcome) = await Collect(warm.Submit(request)).WaitAsync(Patience);
            var (expected, plain) = await Collect(cold.Submit(request)).WaitAsync(Patience);
            Assert.Equal(cached, outcome.CachedPromptTokens);
            Assert.Equal(0, plain.CachedPromptTokens);
            AssertSame(expected, tokens);
            return tokens;
        }
        var first = await Run(Turn(1), 0);
        // the second user shares the system prompt's two full blocks, cached with no state yet: it leaves one at their end
        await Run(Turn(2), 0);
        await Run(Turn(3), 32);
        await Run(Turn(4, sampling: new SamplingOptions { Temperature = 1.1f, TopK = 40, Seed = 9 }), 32);
        // the same prompt again computes its last token only
        await Run(Turn(1), 46);
        // the next turn starts with the first prompt and the 11 reply tokens fed before its end
        await Run(Request([.. Turn(1).PromptIds, .. Ids(first), .. Prompt(5, 6)], 6), 47 + 11);
        var counters = await Drained(warm);
        Assert.Equal(2 * 32 + 46 + 58, counters.PromptTokensCached);
        Assert.Equal(11, counters.StateSnapshots);
        await AssertAllReturned(warm);
    }

    [Theory]
    [InlineData("tiny-qwen35")]
    [InlineData("tiny-lfm2")]
    [InlineData("tiny-mamba2")]
    [InlineData("tiny-jamba")]
    public async Task ConcurrentRequestsSharingAPrefixEachGiveTheirColdReply(string shape)
    {
        var decoder = Load(shape);
        await using var cold = Scheduler(decoder, caching: false);
        var warm = Scheduler(decoder, caching: true);
        Assert.Equal(4, warm.Options.StateSnapshots); // one per running sequence
        // two requests leave the state at the system prompt's end; then six at once start from it
        foreach (var seed in new[] { 1, 2 }) await Collect(warm.Submit(Turn(seed))).WaitAsync(Patience);
        var seeds = Enumerable.Range(10, 6).ToArray();
        GenerationRequest Of(int seed) => Turn(seed, 10 + seed % 3, seed % 2 == 0 ? null : new SamplingOptions { Temperature = 0.8f, TopP = 0.9f, Seed = (ulong)seed });
        var together = await Task.WhenAll(seeds.Select(seed => Collect(warm.Submit(Of(seed))))).WaitAsync(Patience);
        foreach (var (seed, (tokens, outcome)) in seeds.Zip(together))
        {
            Assert.Equal(32, outcome.CachedPromptTokens);
            AssertSame((await Collect(cold.Submit(Of(seed))).WaitAsync(Patience)).Tokens, tokens);
        }
        await Drained(warm);
        await AssertAllReturned(warm);
    }

    [Theory]
    [InlineData("tiny-qwen35")]
    [InlineData("tiny-granitehybrid")]
    public async Task SnapshotsAreEvictedWithinTheirBudget(string shape)
    {
        var decoder = Load(shape);
        await using var cold = Scheduler(decoder, caching: false);
        // two snapshots and a pool of 5 blocks (a context of 64 is 4): snapshots make room for each other, and their partial
        // blocks are evicted with the cache's other blocks
        var warm = Sized(decoder, context: 64, sequences: 2, snapshots: 2, blocks: 5);
        Assert.Equal(5, warm.Counters.KvBlocksTotal);
        var requests = Enumerable.Range(0, 8).Select(i => Request([.. System[..(20 + i)], .. Prompt(5, i)], 20 - i)).ToList();
        foreach (var order in new[] { requests, Enumerable.Reverse(requests).ToList() })
        {
            var outcomes = new List<GenerationOutcome>();
            foreach (var request in order)
            {
                var (tokens, outcome) = await Collect(warm.Submit(request)).WaitAsync(Patience);
                AssertSame((await Collect(cold.Submit(request)).WaitAsync(Patience)).Tokens, tokens);
                outcomes.Add(outcome);
            }
            var counters = await Drained(warm);
            Assert.Equal(2, counters.StateSnapshots);
            Assert.InRange(counters.KvBlocksCached, 1, 5);
            if (order == requests) continue;
            // the state at the shared block's end (the junction two prompts revealed) outlives the one-off snapshots
            Assert.All(outcomes, o => Assert.Equal(16, o.CachedPromptTokens));
        }
        await AssertAllReturned(warm);
    }

    [Theory]
    [InlineData("tiny-qwen35")]
    [InlineData("tiny-jamba")]
    public async Task ALoneSequenceFillsAPoolOfOneContext(string shape)
    {
        var decoder = Load(shape);
        // one sequence, one snapshot and the 4 blocks of a context of 64: the snapshot one token before the prompt's end shares
        // the sequence's partial block, which it must copy to go on
        var warm = Sized(decoder, context: 64, sequences: 1, snapshots: 1, blocks: 4);
        await using var cold = Scheduler(decoder, caching: false);
        foreach (var length in new[] { 56, 60 })
        {
            var request = Request([.. System, .. Prompt(length - System.Length, length)], 10);
            var (tokens, outcome) = await Collect(warm.Submit(request)).WaitAsync(Patience);
            Assert.Equal(FinishReason.ContextFull, outcome.Finish);
            AssertSame((await Collect(cold.Submit(request)).WaitAsync(Patience)).Tokens[..tokens.Count], tokens);
        }
        await Drained(warm);
        await AssertAllReturned(warm);
    }

    [Theory]
    [InlineData("tiny-qwen35")]
    [InlineData("tiny-lfm2")]
    public async Task ACancelledRequestLeavesNoBlockOrSnapshotBehind(string shape)
    {
        var decoder = Load(shape);
        var warm = new ContinuousBatchScheduler(decoder, new SchedulerOptions { ContextSize = 256, KvBlockTokens = Block, TokenBufferCapacity = 4 });
        await Collect(warm.Submit(Turn(1))).WaitAsync(Patience);
        var snapshots = warm.Counters.StateSnapshots;
        using var cancel = new CancellationTokenSource();
        // restored from the first prompt's state, cancelled while it decodes: it leaves no snapshot of its end
        var stream = warm.Submit(Request(Turn(1).PromptIds, 200), cancel.Token);
        await stream.Tokens.ReadAsync().AsTask().WaitAsync(Patience);
        cancel.Cancel();
        var outcome = await stream.Completion.WaitAsync(Patience);
        Assert.Equal(FinishReason.Cancelled, outcome.Finish);
        Assert.Equal(46, outcome.CachedPromptTokens);
        Assert.Equal(snapshots, (await Drained(warm)).StateSnapshots);
        await AssertAllReturned(warm);
    }

    [Theory]
    [InlineData("tiny-qwen35")]
    [InlineData("tiny-lfm2")]
    [InlineData("tiny-nemotron-h")]
    public async Task PreemptedSequencesResumeFromTheirSnapshot(string shape)
    {
        var decoder = Load(shape);
        // four sequences' states, four snapshots and six blocks of 16 positions: two contexts of 64 would need eight
        const int sequences = 4;
        var requests = Enumerable.Range(0, 6).Select(i => Request(Prompt(6 + 3 * i, 40 + i), 40)).ToList();
        var recomputed = new long[2];
        foreach (var snapshots in new[] { 0, sequences })
        {
            await using var scheduler = Sized(decoder, context: 64, sequences, snapshots, blocks: 6);
            var results = await Task.WhenAll(requests.Select(r => Collect(scheduler.Submit(r)))).WaitAsync(Patience);
            await using var cold = Scheduler(decoder, caching: false);
            for (var i = 0; i < requests.Count; i++) AssertSame((await Collect(cold.Submit(requests[i])).WaitAsync(Patience)).Tokens, results[i].Tokens);
            var counters = await Drained(scheduler);
            Assert.True(counters.Preemptions > 0, "no sequence was preempted");
            recomputed[snapshots == 0 ? 0 : 1] = counters.RecomputedTokens;
        }
        Assert.True(recomputed[1] < recomputed[0], $"{recomputed[1]} positions recomputed with snapshots, {recomputed[0]} without");
    }
}
