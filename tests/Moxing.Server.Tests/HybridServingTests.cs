using System.Text;
using System.Text.Json.Nodes;

namespace Moxing.Server.Tests;

/// <summary>A model with recurrent layers (synth tiny-lfm2 with a word vocabulary) served over HTTP to concurrent streaming clients.</summary>
public class HybridServingTests : IAsyncLifetime
{
    private readonly string Model;
    private readonly SynthServedModel _served;

    /// <summary>Serves tiny-lfm2.</summary>
    public HybridServingTests() : this("tiny-lfm2")
    {
    }

    /// <summary>Serves synth shape <paramref name="model"/>.</summary>
    protected HybridServingTests(string model) => (Model, _served) = (model, new SynthServedModel(model));

    public Task InitializeAsync() => _served.StartAsync();

    public async Task DisposeAsync() => await _served.DisposeAsync();

    private HttpClient Http => _served.Http;

    private string Chat(string user, bool stream) =>
        $$"""{"model":"{{Model}}","messages":[{"role":"system","content":"you are a short model"},{"role":"user","content":"{{user}}"}],"max_tokens":12,"temperature":0,"ignore_eos":true{{(stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : "")}}}""";

    // Four clients at once, sharing the system prompt: each stream's text is the reply the same request gets alone, and no
    // prompt token is reported cached (the model's state cannot be reused from another request's prefix).
    [Fact]
    public async Task Four_concurrent_streaming_clients_each_get_the_reply_they_get_alone()
    {
        var users = new[] { "the house near the river", "a new model for the year", "the quick brown fox", "once upon a time" };
        var streamed = await Task.WhenAll(users.Select(async user =>
        {
            using var response = await Http.PostAsync("/v1/chat/completions", new StringContent(Chat(user, stream: true), Encoding.UTF8, "application/json"));
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
            var lines = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("data: [DONE]", lines[^1]);
            var chunks = lines[..^1].Select(l => JsonNode.Parse(l["data: ".Length..])!).ToList();
            Assert.Equal("assistant", (string?)chunks[0]["choices"]![0]!["delta"]!["role"]);
            Assert.Equal("length", (string?)chunks[^2]["choices"]![0]!["finish_reason"]);
            var usage = chunks[^1]["usage"]!;
            Assert.Equal(12, (int)usage["completion_tokens"]!);
            Assert.Equal(0, (int?)usage["prompt_tokens_details"]?["cached_tokens"] ?? 0);
            return string.Concat(chunks.SelectMany(c => c["choices"]!.AsArray()).Select(c => (string?)c!["delta"]!["content"] ?? ""));
        }));
        foreach (var (user, text) in users.Zip(streamed))
        {
            using var response = await Http.PostAsync("/v1/chat/completions", new StringContent(Chat(user, stream: false), Encoding.UTF8, "application/json"));
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal(200, (int)response.StatusCode);
            Assert.False(string.IsNullOrEmpty(text));
            Assert.Equal((string?)body["choices"]![0]!["message"]!["content"], text);
        }
    }
}
