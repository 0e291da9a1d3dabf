using System.Text;
using System.Text.Json.Nodes;
using Moxing.Models.Synthesis;
using Moxing.Server.Hosting;
using Moxing.Server.Models;
using Moxing.Text.Tokenization.Gguf;

namespace Moxing.Server.Tests;

/// <summary>A model with recurrent layers (synth tiny-lfm2 with a word vocabulary) served over HTTP to concurrent streaming clients.</summary>
public class HybridServingTests : IAsyncLifetime
{
    private readonly string Model;
    private readonly string _folder = Directory.CreateTempSubdirectory("moxing-hybrid-serve-").FullName;
    private MoxingServer _server = null!;
    private readonly HttpClient _http = new();

    /// <summary>Serves tiny-lfm2.</summary>
    public HybridServingTests() : this("tiny-lfm2")
    {
    }

    /// <summary>Serves synth shape <paramref name="model"/>.</summary>
    protected HybridServingTests(string model) => Model = model;

    public async Task InitializeAsync()
    {
        var shape = SynthShape.Find(Model)!;
        var path = Path.Combine(_folder, Model + ".gguf");
        SyntheticModelWriter.Write(shape, SynthFileType.Find("Q8_0")!, 2, path, WordVocabulary.Metadata(shape.Vocab));
        _server = await MoxingServer.StartAsync(new ServerOptions
        {
            Host = "127.0.0.1",
            Port = 0,
            Models = [path],
            ConsoleLogging = false,
            Manager = new ModelManagerOptions { Parallel = 4, Context = 256 },
        }, Engines.ContinuousBatching);
        _http.BaseAddress = _server.Address;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

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
            using var response = await _http.PostAsync("/v1/chat/completions", new StringContent(Chat(user, stream: true), Encoding.UTF8, "application/json"));
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
            using var response = await _http.PostAsync("/v1/chat/completions", new StringContent(Chat(user, stream: false), Encoding.UTF8, "application/json"));
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal(200, (int)response.StatusCode);
            Assert.False(string.IsNullOrEmpty(text));
            Assert.Equal((string?)body["choices"]![0]!["message"]!["content"], text);
        }
    }
}
