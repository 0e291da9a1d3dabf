using Moxing.Inference.Sampling;

namespace Moxing.Inference.Tests.Sampling;

/// Penalties over the last N tokens of prompt and reply (llama.cpp's penalty sampler, Ollama's repeat_last_n).
public sealed class PenaltyWindowTests
{
    // The logits after a greedy Sample call: it applies the penalties in place.
    private static float[] Penalized(SamplingOptions options, int[] prompt, int[] reply)
    {
        var sampler = new Sampler(options with { Temperature = 0 }, 6);
        sampler.ObservePrompt(prompt);
        foreach (var id in reply) sampler.Observe(id);
        float[] logits = [2, 2, 2, 2, -2, 2];
        sampler.Sample(logits);
        return logits;
    }

    [Fact]
    public void Only_the_last_tokens_of_prompt_and_reply_are_penalized_once_each()
    {
        // window 3 over prompt 0 1 2 and reply 3 4 4: tokens 3 and 4 (twice) are in it, 0..2 have left
        var options = new SamplingOptions { RepetitionPenalty = 2, PenaltyWindow = 3 };
        Assert.Equal([2, 2, 2, 1, -4, 2], Penalized(options, [0, 1, 2], [3, 4, 4]));
        // the prompt's last token is still in a window of 4
        Assert.Equal([2, 2, 1, 1, -4, 2], Penalized(options with { PenaltyWindow = 4 }, [0, 1, 2], [3, 4, 4]));
    }

    [Fact]
    public void Frequency_and_presence_count_inside_the_window_prompt_included()
    {
        var options = new SamplingOptions { FrequencyPenalty = 0.5f, PresencePenalty = 0.25f, PenaltyWindow = 5 };
        // window: 1 1 | 5 1 5 → token 1 three times, token 5 twice
        Assert.Equal([2, 2 - 1.5f - 0.25f, 2, 2, -2, 2 - 1f - 0.25f], Penalized(options, [0, 1, 1], [5, 1, 5]));
    }

    [Fact]
    public void A_window_longer_than_what_was_seen_sees_everything_and_grows_as_tokens_arrive()
    {
        var options = new SamplingOptions { FrequencyPenalty = 1, PenaltyWindow = int.MaxValue };
        var reply = Enumerable.Repeat(0, 600).Append(5).ToArray();
        var logits = Penalized(options, [1], reply);
        Assert.Equal([2 - 600f, 1, 2, 2, -2, 1], logits);
    }

    [Fact]
    public void Without_a_window_presence_and_frequency_see_the_reply_only()
    {
        var options = new SamplingOptions { FrequencyPenalty = 0.5f, RepetitionPenalty = 2 };
        Assert.Equal([1, 1, 2, 2, -2, 1 - 0.5f], Penalized(options, [0, 1], [5]));
    }
}
