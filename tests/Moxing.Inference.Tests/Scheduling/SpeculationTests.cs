using Moxing.Inference.Generation;
using Moxing.Inference.Sampling;
using Moxing.Inference.Scheduling;
using static Moxing.Inference.Tests.Scheduling.SchedulerTestModel;

namespace Moxing.Inference.Tests.Scheduling;

/// Prompt-lookup speculation (SchedulerOptions.SpeculativeTokens): the same replies as decoding token by token, in fewer steps
/// when the reply repeats its history.
public sealed class SpeculationTests(SchedulerTestModel fixture) : IClassFixture<SchedulerTestModel>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private ContinuousBatchScheduler Scheduler(int speculative, int sequences = 4) =>
        new(fixture.Decoder, new SchedulerOptions { ContextSize = 256, MaxRunningSequences = sequences, SpeculativeTokens = speculative });

    private static GenerationRequest Request(int[] prompt, int maxTokens, SamplingOptions sampling) =>
        new() { PromptIds = prompt, Limits = new GenerationLimits(maxTokens, []), Sampling = sampling };

    // A repetition "penalty" below 1 favours tokens already seen, so the tiny random model falls into loops that repeat its
    // history, as replies that quote their prompt do: drafts then come true.
    private static readonly SamplingOptions Looping = new() { Temperature = 0, RepetitionPenalty = 0.3f };

    private static int[] Repeating(int seed) => [.. Enumerable.Repeat(Prompt(7, seed), 6).SelectMany(p => p)];

    [Fact]
    public void Drafts_are_what_followed_the_latest_earlier_occurrence_of_the_longest_tail()
    {
        Span<int> draft = stackalloc int[3];
        // tail 7 8 occurs at 1 (followed by 9 1 7) and at 5 (followed by 9 2 7 8): the latest wins
        Assert.Equal(3, PromptLookup.Propose([1, 7, 8, 9, 1, 7, 8, 9, 2, 7, 8], draft));
        Assert.Equal([9, 2, 7], draft.ToArray());
        // a loop continues past the history's end: the copy reads its own drafts
        Span<int> longer = stackalloc int[5];
        Assert.Equal(5, PromptLookup.Propose([4, 1, 2, 3, 1, 2, 3, 1, 2, 3], longer));
        Assert.Equal([1, 2, 3, 1, 2], longer.ToArray());
        Assert.Equal(5, PromptLookup.Propose([6, 9, 9, 9, 9, 9], longer));
        Assert.Equal([9, 9, 9, 9, 9], longer.ToArray());
        // the 4-token tail 5 6 7 8 occurs, so the more recent 2-token tail 7 8 at the end is not used
        Assert.Equal(2, PromptLookup.Propose([5, 6, 7, 8, 1, 2, 7, 8, 3, 5, 6, 7, 8], draft[..2]));
        Assert.Equal([1, 2], draft[..2].ToArray());
        // a one-token tail is not enough, nor is a history whose tail never occurred
        Assert.Equal(0, PromptLookup.Propose([4, 1, 2, 4], draft));
        Assert.Equal(0, PromptLookup.Propose([1, 2, 3], draft));
    }

    [Fact]
    public async Task Greedy_replies_equal_token_by_token_decoding_in_fewer_steps()
    {
        var requests = Enumerable.Range(0, 6).Select(i => Request(Prompt(12, i), 48, Looping)).ToList();
        await using var scheduler = Scheduler(6);
        var steps = 0L;
        foreach (var request in requests)
        {
            var before = scheduler.Counters.Steps;
            var (tokens, outcome) = await Collect(scheduler.Submit(request)).WaitAsync(Patience);
            steps += scheduler.Counters.Steps - before;
            var (expected, finish) = fixture.Solo(request, 256);
            Assert.Equal(expected, Ids(tokens));
            Assert.Equal(finish, outcome.Finish);
        }
        // one step prefills each prompt; without drafts every further token costs a step
        Assert.True(steps < requests.Count * 48 * 3 / 4, $"{steps} steps for {requests.Count * 48} tokens");
        Assert.Equal(0, scheduler.Counters.KvBlocksUsed);
    }

    [Fact]
    public async Task Sampled_replies_logprobs_and_concurrent_requests_are_those_of_decoding_without_drafts()
    {
        var requests = Enumerable.Range(0, 5).Select(i => Request(Repeating(40 + i), 30,
                i % 2 == 0 ? Looping : new SamplingOptions { Temperature = 0.6f, TopK = 20, RepetitionPenalty = 0.5f, Seed = (ulong)i })
            with
        { Logprobs = true, TopLogprobs = 2 }).ToList();
        await using var plain = Scheduler(0, sequences: 5);
        await using var speculating = Scheduler(4, sequences: 8);
        var expected = await Task.WhenAll(requests.Select(r => Collect(plain.Submit(r)))).WaitAsync(Patience);
        var actual = await Task.WhenAll(requests.Select(r => Collect(speculating.Submit(r)))).WaitAsync(Patience);
        for (var i = 0; i < requests.Count; i++)
        {
            Assert.Equal(Ids(expected[i].Tokens), Ids(actual[i].Tokens));
            Assert.Equal(expected[i].Outcome.Finish, actual[i].Outcome.Finish);
            for (var j = 0; j < expected[i].Tokens.Count; j++)
                Assert.Equal(expected[i].Tokens[j].Logprob, actual[i].Tokens[j].Logprob, 1e-3);
        }
    }

    [Fact]
    public void Too_many_draft_tokens_are_refused() =>
        Assert.Throws<ArgumentException>(() => new SchedulerOptions { SpeculativeTokens = SchedulerOptions.MaxSpeculativeTokens + 1 }.Validate());
}
