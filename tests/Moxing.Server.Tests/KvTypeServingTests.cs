using System.Collections;
using Moxing.Core;
using Moxing.Core.Tensors;
using Moxing.Server.Hosting;
using Moxing.Server.Models;

namespace Moxing.Server.Tests;

/// <summary>serve --kv-type (kv_type setting): the KV cache's storage type, and the full-context sequences a memory budget then holds.</summary>
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

    [Fact]
    public async Task A_q8_0_cache_holds_about_twice_the_sequences_of_f16_in_the_same_memory_and_generates()
    {
        // a budget of the weights plus four full-context F16 sequences
        long budget;
        await using (var unlimited = await ServedEngine.LoadAsync(new ModelManagerOptions { Parallel = 64, Context = 256 }))
        {
            var f16 = unlimited.Settings;
            budget = unlimited.Resident.MemoryBytes - f16.KvBudgetBytes + 4 * f16.KvBudgetBytes / f16.FullContextSequences + 4096;
        }
        await using var halves = await ServedEngine.LoadAsync(new ModelManagerOptions { Parallel = 64, Context = 256, MaxMemoryBytes = budget });
        await using var q8 = await ServedEngine.LoadAsync(new ModelManagerOptions { Parallel = 64, Context = 256, MaxMemoryBytes = budget, KvType = DType.Q8_0 });
        Assert.Equal((DType.F16, 4), (halves.Settings.KvType, halves.Settings.FullContextSequences));
        Assert.Equal(DType.Q8_0, q8.Settings.KvType);
        Assert.Equal(DType.Q8_0, q8.Engine.Options.KvType);
        Assert.InRange(q8.Settings.FullContextSequences, 7, 8);
        // all 64 run at once either way, admitted by the blocks they use
        Assert.Equal((64, 64), (halves.Settings.MaxSequences, q8.Engine.Options.MaxRunningSequences));
        Assert.Equal(4, (await q8.GenerateAsync(ServedEngine.FourTokens())).Length);
    }
}
