using System.Text;
using System.Text.Json.Nodes;

namespace Moxing.Server.Tests;

/// <summary>
/// Gemma 4 (synth tiny-gemma4 with a word vocabulary: shared keys and values, heads of two sizes, per-layer inputs) served over
/// HTTP: concurrent chat clients, batched over the paged KV cache with a common prompt prefix, each get the reply they get alone.
/// </summary>
public sealed class Gemma4ServingTests : IAsyncLifetime
{
    private const string Model = "tiny-gemma4";
    private readonly SynthServedModel _served = new(Model);

    public Task InitializeAsync() => _served.StartAsync();

    public async Task DisposeAsync() => await _served.DisposeAsync();

    private HttpClient Http => _served.Http;

    private static string Chat(string user) =>
        $$"""{"model":"{{Model}}","messages":[{"role":"system","content":"you are a short model that answers in a few words"},{"role":"user","content":"{{user}}"}],"max_tokens":12,"temperature":0,"ignore_eos":true}""";

    private async Task<string> Reply(string user)
    {
        using var response = await Http.PostAsync("/v1/chat/completions", new StringContent(Chat(user), Encoding.UTF8, "application/json"));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(12, (int)body["usage"]!["completion_tokens"]!);
        return (string)body["choices"]![0]!["message"]!["content"]!;
    }

    [Fact]
    public async Task Concurrent_chat_clients_each_get_the_reply_they_get_alone()
    {
        var users = new[] { "the house near the river", "a new model for the year", "the quick brown fox", "once upon a time" };
        var together = await Task.WhenAll(users.Select(Reply));
        foreach (var (user, text) in users.Zip(together))
        {
            Assert.False(string.IsNullOrEmpty(text));
            Assert.Equal(await Reply(user), text);
        }
    }
}
