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

    // Four clients at once, sharing the system prompt: each stream's text is the reply the same request gets alone.
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

    private async Task<JsonNode> PostChat(string messages)
    {
        var body = $$"""{"model":"{{Model}}","messages":[{{messages}}],"max_tokens":12,"temperature":0,"ignore_eos":true}""";
        using var response = await Http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(200, (int)response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    // A two-turn chat: the second turn's prompt starts with the first's, restored at least from the state the first turn left one
    // token before its prompt's end (and from the one at its end where the reply's text tokenizes back to the reply's tokens);
    // the reply is the one a server that never saw the first turn gives.
    [Fact]
    public async Task A_second_chat_turn_reuses_the_first_turn_and_its_reply()
    {
        const string system = """{"role":"system","content":"you are a short model"}""", user = """{"role":"user","content":"the house near the river"}""";
        var first = await PostChat($"{system},{user}");
        var reply = (string)first["choices"]![0]!["message"]!["content"]!;
        var firstPrompt = (int)first["usage"]!["prompt_tokens"]!;
        var turn = $$"""{{system}},{{user}},{"role":"assistant","content":{{JsonValue.Create(reply).ToJsonString()}}},{"role":"user","content":"and the quick brown fox"}""";
        var second = await PostChat(turn);
        var cached = (int)second["usage"]!["prompt_tokens_details"]!["cached_tokens"]!;
        Assert.True(cached >= firstPrompt - 1, $"{cached} cached tokens; the first turn's prompt was {firstPrompt}");
        Assert.True(cached < (int)second["usage"]!["prompt_tokens"]!);
        await using var fresh = new SynthServedModel(Model);
        await fresh.StartAsync();
        using var response = await fresh.Http.PostAsync("/v1/chat/completions", new StringContent(
            $$"""{"model":"{{Model}}","messages":[{{turn}}],"max_tokens":12,"temperature":0,"ignore_eos":true}""", Encoding.UTF8, "application/json"));
        var cold = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(0, (int?)cold["usage"]!["prompt_tokens_details"]?["cached_tokens"] ?? 0);
        Assert.Equal((string?)cold["choices"]![0]!["message"]!["content"], (string?)second["choices"]![0]!["message"]!["content"]);
    }

    // Ollama's context (the first turn's prompt and reply ids) continued over /v1/completions: the state the first turn left at
    // its end (the last reply token drawn, not fed) restores all but that token.
    [Fact]
    public async Task A_continued_context_reuses_every_token_the_first_turn_fed()
    {
        var body = $$$"""{"model":"{{{Model}}}","prompt":"the house near the river","stream":false,"options":{"temperature":0,"num_predict":12}}""";
        using var first = await Http.PostAsync("/api/generate", new StringContent(body, Encoding.UTF8, "application/json"));
        var context = JsonNode.Parse(await first.Content.ReadAsStringAsync())!["context"]!.AsArray().Select(id => (int)id!).ToArray();
        var prompt = string.Join(",", context.Concat(context.Take(5)));
        using var next = await Http.PostAsync("/v1/completions", new StringContent(
            $$"""{"model":"{{Model}}","prompt":[{{prompt}}],"max_tokens":4,"temperature":0}""", Encoding.UTF8, "application/json"));
        var usage = JsonNode.Parse(await next.Content.ReadAsStringAsync())!["usage"]!;
        Assert.Equal(context.Length + 5, (int)usage["prompt_tokens"]!);
        Assert.Equal(context.Length - 1, (int)usage["prompt_tokens_details"]!["cached_tokens"]!);
    }
}
