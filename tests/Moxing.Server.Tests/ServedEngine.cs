using Microsoft.Extensions.Logging.Abstractions;
using Moxing.Inference.Generation;
using Moxing.Inference.Scheduling;
using Moxing.Server.Models;
using Moxing.Tests;

namespace Moxing.Server.Tests;

/// <summary>The llama-k256 Q4_K_M fixture (or another model file) loaded by a model manager with given options: the engine
/// settings the manager chose and the scheduler it built, for tests of the serving options.</summary>
internal sealed class ServedEngine : IAsyncDisposable
{
    private readonly ModelManager _manager;
    private readonly ModelLease _lease;

    private ServedEngine(ModelManager manager, ModelLease lease)
    {
        _manager = manager;
        _lease = lease;
    }

    /// <summary>The resident model.</summary>
    public ResidentModel Resident => _lease.Resident;

    /// <summary>What the manager gave the engine.</summary>
    public EngineSettings Settings => Resident.Settings!;

    /// <summary>The engine.</summary>
    public ContinuousBatchScheduler Engine => Assert.IsType<ContinuousBatchScheduler>(Resident.Engine);

    /// <summary>Loads the fixture (or the model at <paramref name="path"/>) under <paramref name="options"/>.</summary>
    public static async Task<ServedEngine> LoadAsync(ModelManagerOptions options, string? path = null)
    {
        var manager = new ModelManager(new PathModelCatalog([path ?? Fixtures.Path("gguf", "llama-k256.Q4_K_M.gguf")]), options,
            Engines.ContinuousBatching, NullLogger<ModelManager>.Instance);
        var lease = await manager.AcquireAsync(Assert.Single(manager.Catalog.List()).Name, null, CancellationToken.None);
        return new ServedEngine(manager, lease);
    }

    /// <summary>The ids the engine generates for <paramref name="request"/>.</summary>
    public async Task<int[]> GenerateAsync(GenerationRequest request)
    {
        var stream = Engine.Submit(request);
        var ids = new List<int>();
        await foreach (var token in stream.Tokens.ReadAllAsync()) ids.Add(token.Id);
        await stream.Completion;
        return [.. ids];
    }

    /// <summary>Four tokens after a 40-token prompt, greedy.</summary>
    public static GenerationRequest FourTokens() => new() { PromptIds = [.. Enumerable.Range(1, 40)], Limits = new GenerationLimits(4, []) };

    public async ValueTask DisposeAsync()
    {
        _lease.Dispose();
        await _manager.DisposeAsync();
    }
}
