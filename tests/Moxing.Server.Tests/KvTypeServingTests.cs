using System.Collections;
using Microsoft.Extensions.Logging.Abstractions;
using Moxing.Core;
using Moxing.Core.Tensors;
using Moxing.Inference.Generation;
using Moxing.Inference.Scheduling;
using Moxing.Server.Hosting;
using Moxing.Server.Models;
using Moxing.Tests;

namespace Moxing.Server.Tests;

/// <summary>serve --kv-type (kv_type setting): the KV cache's storage type, and the sequences a memory budget then holds.</summary>
public sealed class KvTypeServingTests
{
    [Fact]
    public void The_setting_comes_from_every_layer_and_a_bad_name_is_refused_by_name()
    {
        var none = new Dictionary<string, string>();
        Assert.Null(ServerSettings.Resolve(null, new Hashtable(), none).Manager.KvType);
        Assert.Equal(DType.Q8_0, ServerSettings.Resolve(null, new Hashtable(), new Dictionary<string, string> { ["kv_type"] = "Q8_0" }).Manager.KvType);
        Assert.Equal(DType.F32, ServerSettings.Resolve(null, new Hashtable { ["MOXING_KV_TYPE"] = "f32" }, none).Manager.KvType);
        var error = Assert.Throws<MoxingException>(() => ServerSettings.Resolve(null, new Hashtable(), new Dictionary<string, string> { ["kv_type"] = "q4_0" }));
        Assert.Contains("kv_type must be f16, q8_0 or f32, got 'q4_0'", error.Message);
    }

    private static async Task<(EngineSettings Settings, ContinuousBatchScheduler Engine, ModelLease Lease, ModelManager Manager)> LoadAsync(ModelManagerOptions options)
    {
        var path = Fixtures.Path("gguf", "llama-k256.Q4_K_M.gguf");
        var manager = new ModelManager(new PathModelCatalog([path]), options, Engines.ContinuousBatching, NullLogger<ModelManager>.Instance);
        var lease = await manager.AcquireAsync(Assert.Single(manager.Catalog.List()).Name, null, CancellationToken.None);
        return (lease.Resident.Settings!, Assert.IsType<ContinuousBatchScheduler>(lease.Resident.Engine), lease, manager);
    }

    [Fact]
    public async Task A_q8_0_cache_holds_about_twice_the_sequences_of_f16_in_the_same_memory_and_generates()
    {
        // a budget of the weights plus four full-context F16 sequences
        var (f16, _, lease16, manager16) = await LoadAsync(new ModelManagerOptions { Parallel = 64, Context = 256 });
        var budget = lease16.Resident.MemoryBytes - f16.KvBudgetBytes + 4 * f16.KvBudgetBytes / f16.MaxSequences + 4096;
        lease16.Dispose();
        await manager16.DisposeAsync();

        var (halves, _, leaseH, managerH) = await LoadAsync(new ModelManagerOptions { Parallel = 64, Context = 256, MaxMemoryBytes = budget });
        var (q8, engine, lease8, manager8) = await LoadAsync(new ModelManagerOptions { Parallel = 64, Context = 256, MaxMemoryBytes = budget, KvType = DType.Q8_0 });
        using (leaseH)
        await using (managerH)
        using (lease8)
        await using (manager8)
        {
            Assert.Equal((DType.F16, 4), (halves.KvType, halves.MaxSequences));
            Assert.Equal(DType.Q8_0, q8.KvType);
            Assert.Equal(DType.Q8_0, engine.Options.KvType);
            Assert.InRange(q8.MaxSequences, 7, 8);
            var request = new GenerationRequest { PromptIds = [.. Enumerable.Range(1, 40)], Limits = new GenerationLimits(4, []) };
            var stream = engine.Submit(request);
            var tokens = 0;
            await foreach (var _ in stream.Tokens.ReadAllAsync()) tokens++;
            await stream.Completion;
            Assert.Equal(4, tokens);
        }
    }
}
