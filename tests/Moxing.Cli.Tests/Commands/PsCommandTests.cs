using System.Net;
using System.Net.Sockets;
using Moxing.Cli.Commands;
using Moxing.Server.Hosting;
using Moxing.Server.Models;
using Moxing.Tests;

namespace Moxing.Cli.Tests.Commands;

/// `moxing ps` against a real server on loopback.
public sealed class PsCommandTests : IAsyncLifetime
{
    private MoxingServer _server = null!;
    private string Url => _server.Address.ToString().TrimEnd('/');

    public async Task InitializeAsync()
    {
        var options = new ServerOptions
        {
            Host = "127.0.0.1",
            Port = 0,
            ConsoleLogging = false,
            Models = [Fixtures.Path("hf", "models", "llama-tiny"), Fixtures.Path("gguf", "gpt2-tiny.Q8_0.gguf")],
        };
        _server = await MoxingServer.StartAsync(options, Engines.ContinuousBatching);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task LoadAsync(string model, string keepAlive)
    {
        using var http = new HttpClient { BaseAddress = _server.Address };
        var response = await http.PostAsync("/api/generate", new StringContent($$"""{"model":"{{model}}","keep_alive":{{keepAlive}}}"""));
        response.EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task Lists_loaded_models_with_size_memory_and_expiry()
    {
        var (code, output, error) = CliRunner.Run("ps", "--url", Url);
        Assert.True(code == 0, error);
        Assert.Contains("no models are loaded", output);

        await LoadAsync("llama-tiny", "\"10m\"");
        await LoadAsync("gpt2-tiny.Q8_0", "-1");
        var json = CliRunner.Json("ps", "--url", Url, "--json").AsArray();
        Assert.Equal(2, json.Count);
        var llama = json.Single(m => (string?)m!["name"] == "llama-tiny:latest")!;
        Assert.Equal(_server.Models.Catalog.Find("llama-tiny")!.SizeBytes, (long)llama["size"]!);
        Assert.Equal(_server.Models.Resident().Single(r => r.Name == "llama-tiny").MemoryBytes, (long)llama["memory"]!);
        var expires = DateTimeOffset.Parse((string)llama["expires_at"]!);
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));

        (code, output, _) = CliRunner.Run("ps", "--url", Url);
        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("NAME", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("llama-tiny:latest", StringComparison.Ordinal) && l.Contains("minutes from now"));
        Assert.Contains(lines, l => l.StartsWith("gpt2-tiny.q8_0:latest", StringComparison.OrdinalIgnoreCase) && l.TrimEnd().EndsWith("forever", StringComparison.Ordinal));
    }

    [Fact]
    public void No_server_is_a_one_line_error()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var (code, _, error) = CliRunner.Run("ps", "--url", $"http://127.0.0.1:{port}");
        Assert.Equal(1, code);
        Assert.Contains("no server answers", error);
        Assert.Equal(1, CliRunner.Run("ps", "--url", "ftp://x").Code);
    }

    [Theory]
    [InlineData(30, "30 seconds from now")]
    [InlineData(5 * 60 + 10, "5 minutes from now")]
    [InlineData(3600 * 2, "2 hours from now")]
    public void Expiry_reads_as_time_from_now(int seconds, string expected)
    {
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(expected, PsCommand.Until(now.AddSeconds(seconds), now));
        Assert.Equal("forever", PsCommand.Until(DateTimeOffset.MaxValue.AddDays(-1), now));
    }
}
