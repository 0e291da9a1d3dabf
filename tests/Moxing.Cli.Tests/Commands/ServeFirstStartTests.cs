using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Moxing.Server.Store;

namespace Moxing.Cli.Tests.Commands;

/// <summary>
/// `moxing serve` with no model on a fresh home registers the model the repository ships in the store, so it answers at once
/// and the store's endpoints work beside it (here /api/create), and a second start serves the store as it is.
/// </summary>
public sealed class ServeFirstStartTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("moxing-first-start-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    [Fact]
    public async Task The_shipped_model_is_registered_and_the_store_endpoints_work()
    {
        using (var server = await ServeProcess.StartAsync(_home, "--threads", "1"))
        {
            using var http = new HttpClient { BaseAddress = server.Address };
            using var chat = await http.PostAsync("/v1/chat/completions", Json("""{"model":"names-gpt","messages":[{"role":"user","content":"anna"}],"max_tokens":4}"""));
            Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
            using var created = await http.PostAsync("/api/create", Json("""{"model":"names:terse","from":"names-gpt","system":"Be brief.","stream":false}"""));
            Assert.True(created.StatusCode == HttpStatusCode.OK, await created.Content.ReadAsStringAsync());
            var tags = JsonNode.Parse(await http.GetStringAsync("/api/tags"))!["models"]!.AsArray().Select(m => (string?)m!["name"]).Order();
            Assert.Equal(["names-gpt:latest", "names:terse"], tags);
        }
        var store = ModelStore.Open(_home);
        Assert.Equal("Be brief.", store.Resolve("names:terse").Defaults!.System);
        // a second start serves the store as it is: nothing registered again
        var first = store.Resolve("names-gpt").Modified;
        using (var again = await ServeProcess.StartAsync(_home, "--threads", "1"))
        {
            using var http = new HttpClient { BaseAddress = again.Address };
            Assert.Equal(2, JsonNode.Parse(await http.GetStringAsync("/api/tags"))!["models"]!.AsArray().Count);
        }
        Assert.Equal(first, ModelStore.Open(_home).Resolve("names-gpt").Modified);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
