namespace Moxing.Server.Tests;

/// <summary>
/// Qwen3.5-MoE (synth tiny-qwen35moe Q8_0 with a word vocabulary: Gated DeltaNet state per sequence, an F32 router over its
/// experts) served over HTTP: eight concurrent chat clients, four batched at a time, each get the greedy reply they get alone.
/// </summary>
public sealed class Qwen35MoeServingTests : IAsyncLifetime
{
    private readonly SynthServedModel _served = new("tiny-qwen35moe");

    public Task InitializeAsync() => _served.StartAsync();

    public async Task DisposeAsync() => await _served.DisposeAsync();

    // Before the products were batch-invariant, two of these replies changed with the batch they were decoded in.
    [Fact]
    public Task Eight_concurrent_chat_clients_each_get_the_reply_they_get_alone() => _served.AssertConcurrentRepliesEqualSolo(
        "the house near the river", "a new model for the year", "the quick brown fox", "once upon a time",
        "what is the capital", "tell me a story about", "why is the sky blue", "how many days in a week");
}
