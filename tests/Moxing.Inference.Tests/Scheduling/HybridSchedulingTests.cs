using Moxing.Inference.Generation;
using Moxing.Inference.Scheduling;
using Moxing.Models.Decoder;
using static Moxing.Inference.Tests.Scheduling.SchedulerTestModel;

namespace Moxing.Inference.Tests.Scheduling;

/// <summary>
/// Models with recurrent layers (synth tiny-lfm2, tiny-granitehybrid, tiny-mamba2, tiny-lfm2-moe, tiny-nemotron-h, tiny-nemotron-h-moe, tiny-falcon-h1,
/// tiny-qwen35, tiny-qwen3next, tiny-mamba, tiny-jamba) under the scheduler: requests sharing a
/// prompt prefix give the tokens each gives alone (no speculation; prefix reuse through state snapshots, HybridPrefixCachingTests),
/// a preempted sequence without snapshots recomputes its state from scratch, and a finished or cancelled sequence gives its state slot back.
/// </summary>
public sealed class HybridSchedulingTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private SynthSchedulingModel _model = null!;

    /// <summary>The synthetic shapes with recurrent state.</summary>
    public static TheoryData<string> Shapes() => ["tiny-lfm2", "tiny-granitehybrid", "tiny-mamba2", "tiny-lfm2-moe", "tiny-nemotron-h", "tiny-nemotron-h-moe", "tiny-falcon-h1",
        "tiny-qwen35", "tiny-qwen3next", "tiny-mamba", "tiny-jamba"];

    private void Load(string shape) => _model = new SynthSchedulingModel(shape, "F16");

    public void Dispose() => _model?.Dispose();

    private static GenerationRequest Request(int[] prompt, int maxTokens) => SynthSchedulingModel.Greedy(prompt, maxTokens);

    private int[] Solo(GenerationRequest request) => _model.Solo(request);

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task RequestsSharingAPrefixGiveTheTokensOfEachAlone(string shape)
    {
        Load(shape);
        // Prefix caching and speculation asked for: a model with recurrent state runs without speculation.
        await using var scheduler = new ContinuousBatchScheduler(_model.Decoder, new SchedulerOptions
        {
            ContextSize = 128,
            KvBlockTokens = 16,
            PrefillChunkTokens = 13,
            PrefixCaching = true,
            SpeculativeTokens = 4,
        });
        Assert.True(scheduler.Options.PrefixCaching);
        Assert.Equal(0, scheduler.Options.SpeculativeTokens);
        var system = Prompt(40, 21);
        GenerationRequest Turn(int seed) => Request([.. system, .. Prompt(7, seed)], 12);
        var first = await Collect(scheduler.Submit(Turn(1))).WaitAsync(Patience);
        Assert.Equal(Solo(Turn(1)), Ids(first.Tokens));
        var together = await Task.WhenAll(new[] { 2, 3, 1 }.Select(seed => Collect(scheduler.Submit(Turn(seed))))).WaitAsync(Patience);
        foreach (var (seed, (tokens, _)) in new[] { 2, 3, 1 }.Zip(together)) Assert.Equal(Solo(Turn(seed)), Ids(tokens));
        // the first prompt again restores its state one token before its end
        Assert.Equal(46, together[2].Outcome.CachedPromptTokens);
        Assert.Equal(0, scheduler.Counters.RecurrentStatesUsed);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task PreemptedSequencesRecomputeTheirStateFromScratch(string shape)
    {
        Load(shape);
        var decoder = _model.Decoder;
        // four sequences' states and six blocks of 16 positions: two contexts of 64 would need eight
        const int sequences = 4;
        var blockBytes = 16 * KvBlockPool.BytesPerPosition(decoder.Options, Core.Tensors.DType.F16);
        await using var scheduler = new ContinuousBatchScheduler(decoder, new SchedulerOptions
        {
            ContextSize = 64,
            KvBlockTokens = 16,
            MaxRunningSequences = sequences,
            KvMemoryBytes = sequences * KvBlockPool.StateBytesPerSequence(decoder.Options) + 6 * blockBytes,
        });
        var requests = Enumerable.Range(0, 6).Select(i => Request(Prompt(6 + 3 * i, 40 + i), 40)).ToList();
        var results = await Task.WhenAll(requests.Select(r => Collect(scheduler.Submit(r)))).WaitAsync(Patience);
        for (var i = 0; i < requests.Count; i++) Assert.Equal(Solo(requests[i]), Ids(results[i].Tokens));
        var counters = scheduler.Counters;
        Assert.True(counters.Preemptions > 0, "no sequence was preempted");
        Assert.True(counters.RecomputedTokens > 0);
        await SchedulerDrain.AssertDrained(scheduler);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task ACancelledSequenceGivesItsStateBack(string shape)
    {
        Load(shape);
        await using var scheduler = new ContinuousBatchScheduler(_model.Decoder, new SchedulerOptions { ContextSize = 256, TokenBufferCapacity = 4 });
        using var cancel = new CancellationTokenSource();
        var stream = scheduler.Submit(Request(Prompt(4, 8), 200), cancel.Token);
        await stream.Tokens.ReadAsync().AsTask().WaitAsync(Patience);
        Assert.Equal(1, scheduler.Counters.RecurrentStatesUsed);
        cancel.Cancel();
        Assert.Equal(FinishReason.Cancelled, (await stream.Completion.WaitAsync(Patience)).Finish);
        await SchedulerDrain.AssertDrained(scheduler);
    }
}
