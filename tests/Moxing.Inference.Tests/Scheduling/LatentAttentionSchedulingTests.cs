using Moxing.Inference.Scheduling;
using Moxing.Models.Decoder;
using static Moxing.Inference.Tests.Scheduling.SchedulerTestModel;

namespace Moxing.Inference.Tests.Scheduling;

/// <summary>
/// DeepSeek's multi-head latent attention (synth tiny-deepseek-v3) under the scheduler: a prompt split by the shared prefill
/// budget, by prefix reuse or by recompute after preemption gives the tokens its request gives alone, prefilled in one call —
/// in a Q8_0 file, where a prefill in MLA's decompressed form once moved the logits by 1.5e-2.
/// </summary>
public sealed class LatentAttentionSchedulingTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly SynthSchedulingModel _model = new("tiny-deepseek-v3", "Q8_0");

    public void Dispose() => _model.Dispose();

    [Fact]
    public async Task RequestsSharingAPrefixInChunksGiveTheTokensOfEachAlone()
    {
        await using var scheduler = new ContinuousBatchScheduler(_model.Decoder, new SchedulerOptions
        {
            ContextSize = 128,
            KvBlockTokens = 16,
            PrefillChunkTokens = 13,
            PrefixCaching = true,
        });
        var system = Prompt(40, 21);
        GenerationRequest Turn(int seed) => SynthSchedulingModel.Greedy([.. system, .. Prompt(9, seed)], 16);
        var first = await Collect(scheduler.Submit(Turn(1))).WaitAsync(Patience);
        Assert.Equal(_model.Solo(Turn(1)), Ids(first.Tokens));
        var together = await Task.WhenAll(new[] { 2, 3, 4 }.Select(seed => Collect(scheduler.Submit(Turn(seed))))).WaitAsync(Patience);
        foreach (var (seed, (tokens, outcome)) in new[] { 2, 3, 4 }.Zip(together))
        {
            Assert.Equal(32, outcome.CachedPromptTokens);
            Assert.Equal(_model.Solo(Turn(seed)), Ids(tokens));
        }
    }

    [Fact]
    public async Task PreemptedSequencesRecomputeTheirRepliesExactly()
    {
        var decoder = _model.Decoder;
        // six blocks of 16 positions: two contexts of 64 would need eight
        await using var scheduler = new ContinuousBatchScheduler(decoder, new SchedulerOptions
        {
            ContextSize = 64,
            KvBlockTokens = 16,
            MaxRunningSequences = 4,
            KvMemoryBytes = 6 * 16 * KvBlockPool.BytesPerPosition(decoder.Options, Core.Tensors.DType.F16),
        });
        var requests = Enumerable.Range(0, 6).Select(i => SynthSchedulingModel.Greedy(Prompt(6 + 3 * i, 40 + i), 40)).ToList();
        var results = await Task.WhenAll(requests.Select(r => Collect(scheduler.Submit(r)))).WaitAsync(Patience);
        for (var i = 0; i < requests.Count; i++) Assert.Equal(_model.Solo(requests[i]), Ids(results[i].Tokens));
        Assert.True(scheduler.Counters.Preemptions > 0, "no sequence was preempted");
        Assert.True(scheduler.Counters.RecomputedTokens > 0);
    }
}
