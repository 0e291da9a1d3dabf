using System.Text;
using System.Text.Json.Nodes;
using Moxing.Inference.Scheduling;
using Moxing.Server.Hosting;
using Moxing.Server.Models;

namespace Moxing.Server.Tests;

public sealed class ShippedModelTests
{
    [Fact]
    public async Task A_server_with_no_models_serves_the_shipped_one_and_answers_the_readme_curl()
    {
        await using var server = await MoxingServer.StartAsync(new ServerOptions { Port = 0, ConsoleLogging = false }, Engines.ContinuousBatching);
        var entry = Assert.Single(server.Models.Catalog.List());
        Assert.Equal("names-gpt", entry.Name);
        using var http = new HttpClient { BaseAddress = server.Address };
        // The README's request, as curl sends it (no content type); seeded, since an empty name is a possible sample.
        var response = await http.PostAsync("/v1/chat/completions", new StringContent(
            """{"model":"names-gpt","messages":[{"role":"user","content":"anna"}],"max_tokens":16,"seed":1}""", Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("assistant", (string?)body["choices"]![0]!["message"]!["role"]);
        Assert.True((int)body["usage"]!["completion_tokens"]! is > 0 and <= 16);
        // The shipped GPT was trained on first names: it answers with a new name, a line of lower-case letters.
        var reply = (string)body["choices"]![0]!["message"]!["content"]!;
        Assert.Matches("^[a-z' -]+$", reply);
    }

    [Fact]
    public async Task Clients_that_disconnect_mid_stream_leave_no_running_sequence_or_kv_block()
    {
        await using var server = await MoxingServer.StartAsync(
            new ServerOptions { Port = 0, ConsoleLogging = false, Models = [ServerFixture.ModelPath(ServerFixture.Llama)] }, Engines.ContinuousBatching);
        using var http = new HttpClient { BaseAddress = server.Address };
        for (var i = 0; i < 8; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Content = new StringContent("""{"model":"llama-tiny","messages":[{"role":"user","content":"Go on"}],"max_tokens":400,"stream":true}"""),
            };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await using var stream = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[64];
            Assert.True(await stream.ReadAsync(buffer) > 0);
            // Leaving the using blocks drops the connection mid-stream.
        }
        var scheduler = (ContinuousBatchScheduler)server.Models.Resident().Single().Engine!;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((scheduler.Counters.Running > 0 || scheduler.Counters.KvBlocksUsed > 0
                || scheduler.Counters.Completed + scheduler.Counters.Cancelled < 8) && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Equal(0, scheduler.Counters.Running);
        Assert.Equal(0, scheduler.Counters.Waiting);
        Assert.Equal(0, scheduler.Counters.KvBlocksUsed);
        // Each request either ended on its own before the disconnect was seen or was cancelled; none is left behind.
        Assert.Equal(8, scheduler.Counters.Completed + scheduler.Counters.Cancelled);
    }
}
