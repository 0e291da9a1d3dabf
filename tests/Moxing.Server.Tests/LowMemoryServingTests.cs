using System.Collections;
using Moxing.Core;
using Moxing.Core.Tensors;
using Moxing.Inference.Sessions;
using Moxing.Server.Hosting;
using Moxing.Server.Models;

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
        await using var served = await ServedEngine.LoadAsync(new ModelManagerOptions { LowMemory = true, Parallel = LowMemory.Parallel });
        var settings = served.Settings;
        Assert.Equal((DType.Q8_0, false, LowMemory.PrefillChunk, 1), (settings.KvType, settings.PrefixCaching, settings.PrefillChunkTokens, settings.MaxSequences));
        Assert.Equal(Math.Min(LowMemory.ContextCap, served.Resident.Model.MaxContext), settings.Context);
        var scheduler = served.Engine;
        Assert.Equal((DType.Q8_0, false, LowMemory.PrefillChunk), (scheduler.Options.KvType, scheduler.Options.PrefixCaching, scheduler.Options.PrefillChunkTokens));
        Assert.Equal(4, (await served.GenerateAsync(ServedEngine.FourTokens())).Length);
        Assert.DoesNotContain(served.Resident.Model.RequireDecoder().Weights.Linears, l => l.Repacked);
    }

    [Fact]
    public async Task Without_it_the_weights_are_repacked_while_the_model_loads()
    {
        // before any request: the first decode step does not stall on the copies, and batches never run the file's layout
        await using var served = await ServedEngine.LoadAsync(new ModelManagerOptions());
        var linears = served.Resident.Model.RequireDecoder().Weights.Linears.ToList();
        Assert.Contains(linears, l => l.Repacked);
        Assert.All(linears, l => Assert.Equal(Moxing.Models.Layers.Linear.Copies(l.Weight), l.Repacked));
    }
}
