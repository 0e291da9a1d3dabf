using Moxing.Core.Tensors;

namespace Moxing.Server.Tests;

/// <summary>
/// Gemma 3n (synth tiny-gemma3n with a word vocabulary: AltUp streams, Laurel, sparse gates, shared keys and values, per-layer
/// inputs) served over HTTP: concurrent chat clients, batched over the paged KV cache, each get the reply they get alone. The file
/// is F16 with an F32 cache: Q8_0 activations and an F16 cache round, and one code that a 1e-7 difference between the one-token
/// and the batched kernels flips grows through this random model's 22 layers to 4e-2 in the logits (with or without sparsity),
/// so greedy replies could part on rounding alone; F16 weights over an F32 cache keep the two paths within 2e-5.
/// </summary>
public sealed class Gemma3nServingTests : IAsyncLifetime
{
    private const string Model = "tiny-gemma3n";
    private readonly SynthServedModel _served = new(Model, "F16", DType.F32);

    public Task InitializeAsync() => _served.StartAsync();

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public Task Concurrent_chat_clients_each_get_the_reply_they_get_alone() => _served.AssertConcurrentRepliesEqualSolo();
}
