using System.Collections;
using Microsoft.Extensions.Logging.Abstractions;
using Moxing.Core;
using Moxing.Core.Tensors;
using Moxing.Inference.Generation;
using Moxing.Inference.Scheduling;
using Moxing.Inference.Sessions;
using Moxing.Server.Hosting;
using Moxing.Server.Models;
using Moxing.Tests;

namespace Moxing.Server.Tests;

/// <summary>serve --low-memory (low_memory setting): one sequence, a Q8_0 KV cache, no prefix cache, small prefill chunks.</summary>
public sealed class LowMemoryServingTests
{
    [Fact]
    public void The_setting_comes_from_every_layer_and_an_explicit_parallel_wins()
    {
        var none = new Dictionary<string, string>();
        Assert.False(ServerSettings.Resolve(null, new Hashtable(), none).Manager.LowMemory);
        var cli = ServerSettings.Resolve(null, new Hashtable(), new Dictionary<string, string> { ["low_memory"] = "true" }).Manager;
        Assert.Equal((true, LowMemory.Parallel), (cli.LowMemory, cli.Parallel));
        var env = ServerSettings.Resolve(null, new Hashtable { ["MOXING_LOW_MEMORY"] = "1", ["MOXING_PARALLEL"] = "2" }, none).Manager;
        Assert.Equal((true, 2), (env.LowMemory, env.Parallel));
        Assert.Throws<MoxingException>(() => ServerSettings.Resolve(null, new Hashtable(), new Dictionary<string, string> { ["low_memory"] = "maybe" }));
    }

    [Fact]
    public async Task Engines_get_a_q8_0_kv_cache_without_prefix_caching_and_still_generate()
    {
        var path = Fixtures.Path("gguf", "llama-k256.Q4_K_M.gguf");
        var options = new ModelManagerOptions { LowMemory = true, Parallel = LowMemory.Parallel };
        await using var manager = new ModelManager(new PathModelCatalog([path]), options, Engines.ContinuousBatching, NullLogger<ModelManager>.Instance);
        var name = Assert.Single(manager.Catalog.List()).Name;
        using var lease = await manager.AcquireAsync(name, null, CancellationToken.None);
        var settings = lease.Resident.Settings!;
        Assert.Equal((DType.Q8_0, false, LowMemory.PrefillChunk, 1), (settings.KvType, settings.PrefixCaching, settings.PrefillChunkTokens, settings.MaxSequences));
        Assert.Equal(Math.Min(LowMemory.ContextCap, lease.Resident.Model.MaxContext), settings.Context);
        var scheduler = Assert.IsType<ContinuousBatchScheduler>(lease.Resident.Engine);
        Assert.Equal((DType.Q8_0, false, LowMemory.PrefillChunk), (scheduler.Options.KvType, scheduler.Options.PrefixCaching, scheduler.Options.PrefillChunkTokens));

        var request = new GenerationRequest { PromptIds = [.. Enumerable.Range(1, 40)], Limits = new GenerationLimits(4, []) };
        var stream = scheduler.Submit(request);
        var tokens = 0;
        await foreach (var _ in stream.Tokens.ReadAllAsync()) tokens++;
        await stream.Completion;
        Assert.Equal(4, tokens);
    }
}
