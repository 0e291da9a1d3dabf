using System.Text.Json;

namespace Moxing.Cli.Tests.Commands;

/// <summary>
/// The load test in short: `moxing bench-serve` with 8 streaming clients for a few seconds against `moxing serve` (a child
/// process, so its resident memory is its own): no 5xx, every request completes or gets a 429, and the server's memory is read.
/// docs/OPERATIONS.md records the full run (64 clients, 2 minutes).
/// </summary>
public sealed class LoadTestCommandTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("moxing-load-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    [Fact]
    public async Task EightStreamingClientsForAFewSecondsGetNo5xx()
    {
        using var server = await ServeProcess.StartAsync(_home, Moxing.Tests.Fixtures.Path("hf", "models", "llama-tiny"), "--threads", "1");
        var (code, output, err) = await Task.Run(() => CliRunner.Run("bench-serve", server.Address.ToString(), "--model", "llama-tiny", "--chat",
            "-c", "8", "--duration", "3s", "-n", "8", "--prompt-words", "20", "--limit-s", "120", "--json"));
        Assert.True(code == 0, err + output);
        using var doc = JsonDocument.Parse(output);
        var level = doc.RootElement.GetProperty("levels")[0];
        Assert.Equal(0, level.GetProperty("server_errors_5xx").GetInt32());
        Assert.Equal(0, level.GetProperty("failed").GetInt32());
        Assert.False(level.GetProperty("timed_out").GetBoolean());
        Assert.True(level.GetProperty("requests").GetInt32() >= 8, output);
        Assert.Equal(level.GetProperty("requests").GetInt32(), level.GetProperty("succeeded").GetInt32() + level.GetProperty("refused_429").GetInt32());
        Assert.True(level.GetProperty("latency_ms").GetProperty("p95").GetDouble() > 0);
        Assert.True(doc.RootElement.GetProperty("server_rss_before_bytes").GetInt64() > 0);
        Assert.True(doc.RootElement.GetProperty("server_rss_after_bytes").GetInt64() > 0);
    }
}
