using System.Text;
using System.Text.Json.Nodes;
using Moxing.Core.Tensors;
using Moxing.Models.Synthesis;
using Moxing.Server.Hosting;
using Moxing.Server.Models;
using Moxing.Text.Tokenization.Gguf;

namespace Moxing.Server.Tests;

/// <summary>
/// A synthetic GGUF of one shape (Q8_0 unless <paramref name="type"/> says) with a word vocabulary, served with continuous batching
/// (4 sequences at once, context 256, KV cache as <paramref name="kv"/> or the server's default) by a server of its own: what the
/// architecture serving tests run against.
/// </summary>
public sealed class SynthServedModel(string shape, string type = "Q8_0", DType? kv = null) : IAsyncDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("moxing-synth-serve-").FullName;
    private MoxingServer? _server;

    /// <summary>A client of the server (valid once <see cref="StartAsync"/> returns).</summary>
    public HttpClient Http { get; } = new();

    /// <summary>The greedy 12-token chat reply to <paramref name="user"/> after a short system prompt, checked to be a full 200 answer.</summary>
    public async Task<string> ReplyAsync(string user)
    {
        var chat = $$"""{"model":"{{shape}}","messages":[{"role":"system","content":"you are a short model that answers in a few words"},{"role":"user","content":"{{user}}"}],"max_tokens":12,"temperature":0,"ignore_eos":true}""";
        using var response = await Http.PostAsync("/v1/chat/completions", new StringContent(chat, Encoding.UTF8, "application/json"));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(12, (int)body["usage"]!["completion_tokens"]!);
        return (string)body["choices"]![0]!["message"]!["content"]!;
    }

    /// <summary>Chat clients at once (four, or one per message of <paramref name="users"/>) each get the reply they get alone
    /// (batched over the paged KV cache with a common prompt prefix).</summary>
    public async Task AssertConcurrentRepliesEqualSolo(params string[] users)
    {
        if (users.Length == 0) users = ["the house near the river", "a new model for the year", "the quick brown fox", "once upon a time"];
        var together = await Task.WhenAll(users.Select(ReplyAsync));
        foreach (var (user, text) in users.Zip(together))
        {
            Assert.False(string.IsNullOrEmpty(text));
            Assert.Equal(await ReplyAsync(user), text);
        }
    }

    /// <summary>Writes the model and starts the server.</summary>
    public async Task StartAsync()
    {
        var synth = SynthShape.Find(shape)!;
        var path = Path.Combine(_folder, shape + ".gguf");
        SyntheticModelWriter.Write(synth, SynthFileType.Find(type)!, 2, path, WordVocabulary.Metadata(synth.Vocab));
        _server = await MoxingServer.StartAsync(new ServerOptions
        {
            Host = "127.0.0.1",
            Port = 0,
            Models = [path],
            ConsoleLogging = false,
            Manager = new ModelManagerOptions { Parallel = 4, Context = 256, KvType = kv },
        }, Engines.ContinuousBatching);
        Http.BaseAddress = _server.Address;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (_server != null) await _server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}
