using System.Text;
using System.Text.Json.Nodes;
using Moxing.Models.Synthesis;
using Moxing.Server.Hosting;
using Moxing.Server.Models;
using Moxing.Text.Tokenization.Gguf;

namespace Moxing.Server.Tests;

/// <summary>
/// Gemma 4 (synth tiny-gemma4 with a word vocabulary: shared keys and values, heads of two sizes, per-layer inputs) served over
/// HTTP: concurrent chat clients, batched over the paged KV cache with a common prompt prefix, each get the reply they get alone.
/// </summary>
public sealed class Gemma4ServingTests : IAsyncLifetime
{
    private const string Model = "tiny-gemma4";
    private readonly string _folder = Directory.CreateTempSubdirectory("moxing-gemma4-serve-").FullName;
    private MoxingServer _server = null!;
    private readonly HttpClient _http = new();

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

    private static string Chat(string user) =>
        $$"""{"model":"{{Model}}","messages":[{"role":"system","content":"you are a short model that answers in a few words"},{"role":"user","content":"{{user}}"}],"max_tokens":12,"temperature":0,"ignore_eos":true}""";

    private async Task<string> Reply(string user)
    {
        using var response = await _http.PostAsync("/v1/chat/completions", new StringContent(Chat(user), Encoding.UTF8, "application/json"));
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
