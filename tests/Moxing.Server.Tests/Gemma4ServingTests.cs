namespace Moxing.Server.Tests;

/// <summary>
/// Gemma 4 (synth tiny-gemma4 with a word vocabulary: shared keys and values, heads of two sizes, per-layer inputs) served over
/// HTTP: concurrent chat clients, batched over the paged KV cache with a common prompt prefix, each get the reply they get alone.
/// </summary>
public sealed class Gemma4ServingTests : IAsyncLifetime
{
    private const string Model = "tiny-gemma4";
    private readonly SynthServedModel _served = new(Model);

    public Task InitializeAsync() => _served.StartAsync();

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public Task Concurrent_chat_clients_each_get_the_reply_they_get_alone() => _served.AssertConcurrentRepliesEqualSolo();
}
