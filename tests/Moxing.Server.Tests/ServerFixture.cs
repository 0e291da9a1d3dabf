using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Moxing.Inference.Generation;
using Moxing.Inference.Sampling;
using Moxing.Inference.Sessions;
using Moxing.Models;
using Moxing.Server.Hosting;
using Moxing.Server.Models;
using Moxing.Tests;

namespace Moxing.Server.Tests;

/// One server on a loopback port for all HTTP tests: two tiny decoders and a BERT encoder from the fixtures.
public sealed class ServerFixture : IAsyncLifetime
{
    public const string Llama = "llama-tiny";
    public const string Qwen = "qwen2-tiny";
    public const string Bert = "bert-tiny";
    public const string Qwen3 = "qwen3-tiny-realvocab.Q8_0";

    /// The Qwen3 model speaking harmony with harmony's markup as control tokens, as gpt-oss's vocabulary has it.
    public const string Harmony = "qwen3-harmony-control";

    /// The Qwen3 model with Kimi-K2's real chat template and Kimi-K2's tool-call markup as control tokens.
    public const string Kimi = "qwen3-kimi-control";

    private readonly string _folder = Directory.CreateTempSubdirectory("moxing-server-").FullName;

    public MoxingServer Server { get; private set; } = null!;
    public HttpClient Http { get; } = new();
    public Uri Address => Server.Address;

    public static string ModelPath(string name) => Fixtures.Path("hf", "models", name);

    /// Where the harmony model is written.
    public string HarmonyPath => Path.Combine(_folder, Harmony + ".gguf");

    /// Where the Kimi-K2 model is written.
    public string KimiPath => Path.Combine(_folder, Kimi + ".gguf");

    public async Task InitializeAsync()
    {
        Tools.HarmonyModel.Write(Qwen3, HarmonyPath, "<|end|>", controlTokens: true);
        Tools.TemplatedModel.Write(Qwen3, KimiPath, Tools.TemplatedModel.RealTemplate("moonshotai-Kimi-K2"),
            Inference.Tools.ToolCallFormats.Markers(Inference.Tools.ToolCallFormat.KimiK2));
        var options = new ServerOptions
        {
            Host = "127.0.0.1",
            Port = 0,
            Models = [ModelPath(Llama), ModelPath(Qwen), ModelPath(Bert), Fixtures.Path("gguf", Qwen3 + ".gguf"), HarmonyPath, KimiPath],
            ConsoleLogging = false,
            Manager = new ModelManagerOptions { Parallel = 4 },
        };
        Server = await MoxingServer.StartAsync(options, Engines.ContinuousBatching);
        Http.BaseAddress = Server.Address;
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    public async Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> PostAsync(string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var response = await Http.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 || text[0] is not ('{' or '[') ? null : JsonNode.Parse(text), response);
    }

    /// The reply greedy decoding gives in-process (a single InferenceSession, no server), for comparison.
    public static string GreedyReply(string model, JsonArray messages, int maxTokens)
    {
        using var loaded = ModelLoader.Load(ModelPath(model));
        var tokenizer = loaded.RequireTokenizer();
        var ids = tokenizer.Encode(loaded.ChatTemplates!.Render(messages, null, true), addSpecialTokens: false);
        var session = new InferenceSession(loaded.RequireDecoder(), loaded.MaxContext);
        return new TextGenerator(session, tokenizer).Generate(ids, SamplingOptions.Greedy, new GenerationLimits(maxTokens, loaded.EosTokenIds), []).Text;
    }

    public static JsonArray UserMessage(string text) => [new JsonObject { ["role"] = "user", ["content"] = text }];
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "server";
}
