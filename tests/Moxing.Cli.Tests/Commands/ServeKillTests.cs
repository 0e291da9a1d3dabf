using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Moxing.Server.Data;
using Moxing.Server.Metering;

namespace Moxing.Cli.Tests.Commands;

/// <summary>
/// Crash-safe usage: `moxing serve` runs as a child process over a SQLite home and is killed with SIGKILL right after each 200
/// response has been read to its end; the database, opened afresh, holds a row for every one of those requests.
/// </summary>
public sealed class ServeKillTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("moxing-kill9-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_home, recursive: true);
    }

    [Fact]
    public async Task EveryRequestAnsweredWith200HasItsUsageRowAfterTheServerIsKilled()
    {
        var (code, output, error) = CliRunner.Run("keys", "create", "--tenant", "acme", "--home", _home);
        Assert.True(code == 0, error);
        var key = output.Trim();
        var model = Moxing.Tests.Fixtures.Path("hf", "models", "llama-tiny");
        var answered = new List<(string RequestId, JsonNode Usage)>();
        foreach (var (path, stream) in new[] { ("v1/chat/completions", false), ("v1/chat/completions", true), ("v1/completions", false), ("v1/completions", true) })
        {
            using var server = await ServeProcess.StartAsync(_home, model, "--threads", "1");
            using var http = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(2) };
            var requestId = $"kill9-{answered.Count}-{Guid.NewGuid():n}";
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(Body(path, stream), Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            request.Headers.Add("X-Request-Id", requestId);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            // Read to the last byte, then kill at once: no graceful shutdown, no flush, nothing after the response.
            var text = await response.Content.ReadAsStringAsync();
            server.KillHard();
            Assert.True(response.IsSuccessStatusCode, text);
            answered.Add((requestId, Usage(text, stream)));
        }

        var rows = new UsageStore(MoxingDatabase.OpenIn(_home)).Query(new UsageQuery(Tenant: "acme")).ToDictionary(r => r.RequestId);
        foreach (var (requestId, usage) in answered)
        {
            Assert.True(rows.TryGetValue(requestId, out var row), $"no usage row for {requestId}, answered with 200 before the kill");
            Assert.Equal((200, "ok"), (row.Status, row.Outcome));
            Assert.Equal((int)usage["prompt_tokens"]!, row.PromptTokens);
            Assert.Equal((int)usage["completion_tokens"]!, row.CompletionTokens);
        }
    }

    private static string Body(string path, bool stream)
    {
        var body = new JsonObject { ["model"] = "llama-tiny", ["max_tokens"] = 5, ["stream"] = stream };
        if (stream) body["stream_options"] = new JsonObject { ["include_usage"] = true };
        if (path.Contains("chat")) body["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Hello" });
        else body["prompt"] = "Once upon a time";
        return body.ToJsonString();
    }

    // A whole response's usage, or a stream's usage chunk (the one before [DONE]).
    private static JsonNode Usage(string text, bool stream)
    {
        if (!stream) return JsonNode.Parse(text)!["usage"]!;
        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1].Trim());
        return JsonNode.Parse(events[^2]["data: ".Length..])!["usage"]!;
    }
}
