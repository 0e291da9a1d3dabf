using Microsoft.Extensions.Logging.Abstractions;
using Moxing.Server.Http;
using Moxing.Server.Models;
using Moxing.Server.Store;

namespace Moxing.Server.Tests;

public sealed class ModelManagerTests
{
    private static ModelManager Manager(ModelManagerOptions options) =>
        new(new PathModelCatalog([ServerFixture.ModelPath(ServerFixture.Llama), ServerFixture.ModelPath(ServerFixture.Qwen)]), options,
            Engines.ContinuousBatching, NullLogger<ModelManager>.Instance);

    // Room for either tiny model (files on disk, then weights + KV of one sequence), not both.
    private static async Task<ModelManagerOptions> RoomForOne()
    {
        var options = new ModelManagerOptions { Parallel = 1 };
        await using var unlimited = Manager(options);
        long most = 0;
        foreach (var name in new[] { ServerFixture.Llama, ServerFixture.Qwen })
            using (var lease = await unlimited.AcquireAsync(name, null, CancellationToken.None))
                most = Math.Max(most, Math.Max(lease.Resident.MemoryBytes, lease.Resident.Entry.SizeBytes));
        return options with { MaxMemoryBytes = most + 1024 };
    }

    [Fact]
    public async Task Loads_on_first_use_and_reuses_the_resident_model()
    {
        await using var manager = Manager(new ModelManagerOptions());
        Assert.Empty(manager.Resident());
        ResidentModel first;
        using (var lease = await manager.AcquireAsync("llama-tiny:latest", null, CancellationToken.None))
        {
            first = lease.Resident;
            Assert.NotNull(first.Engine);
            Assert.True(first.MemoryBytes > 0);
        }
        using var again = await manager.AcquireAsync(ServerFixture.Llama, null, CancellationToken.None);
        Assert.Same(first, again.Resident);
        Assert.Equal(TimeSpan.Zero, again.LoadDuration);
    }

    [Fact]
    public async Task The_least_recently_used_idle_model_is_evicted_for_a_new_one()
    {
        await using var manager = Manager(await RoomForOne());
        using (await manager.AcquireAsync(ServerFixture.Llama, null, CancellationToken.None)) { }
        using (await manager.AcquireAsync(ServerFixture.Qwen, null, CancellationToken.None))
            Assert.Equal([ServerFixture.Qwen], manager.Resident().Select(r => r.Name));
    }

    [Fact]
    public async Task A_busy_model_is_never_evicted_the_next_one_waits()
    {
        await using var manager = Manager(await RoomForOne());
        using var busy = await manager.AcquireAsync(ServerFixture.Llama, null, CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => manager.AcquireAsync(ServerFixture.Qwen, null, timeout.Token));
        Assert.Contains(manager.Resident(), r => r.Name == ServerFixture.Llama);
    }

    [Fact]
    public async Task Keep_alive_expiry_unloads_an_idle_model()
    {
        await using var manager = Manager(new ModelManagerOptions());
        using (await manager.AcquireAsync(ServerFixture.Llama, TimeSpan.FromMilliseconds(100), CancellationToken.None)) { }
        Assert.Single(manager.Resident());
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (manager.Resident().Count > 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Empty(manager.Resident());
    }

    [Fact]
    public async Task Negative_keep_alive_never_expires_and_unknown_names_are_404()
    {
        await using var manager = Manager(new ModelManagerOptions());
        using (await manager.AcquireAsync(ServerFixture.Llama, Timeout.InfiniteTimeSpan, CancellationToken.None)) { }
        Assert.Null(manager.Resident().Single().ExpiresAt);
        var e = await Assert.ThrowsAsync<ApiException>(() => manager.AcquireAsync("missing", null, CancellationToken.None));
        Assert.Equal(404, e.Status);
    }

    [Fact]
    public async Task A_model_too_big_for_the_limit_is_refused()
    {
        await using var manager = Manager(new ModelManagerOptions { MaxMemoryBytes = 1000 });
        var e = await Assert.ThrowsAsync<ApiException>(() => manager.AcquireAsync(ServerFixture.Llama, null, CancellationToken.None));
        Assert.Equal(507, e.Status);
    }

    [Fact]
    public void Model_names_default_to_the_latest_tag()
    {
        Assert.True(ModelName.SameModel("qwen", "qwen:latest"));
        Assert.False(ModelName.SameModel("qwen:7b", "qwen:latest"));
        Assert.Equal("hf.co/org/model:latest", ModelName.WithTag("hf.co/org/model"));
    }
}
