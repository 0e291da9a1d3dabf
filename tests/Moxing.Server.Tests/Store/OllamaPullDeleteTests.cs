using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Moxing.Server.Hosting;
using Moxing.Server.Models;
using Moxing.Server.Store;
using Moxing.Tests;
using OllamaSharp;
using OllamaSharp.Models;

namespace Moxing.Server.Tests.Store;

/// /api/pull and /api/delete over a server whose catalog is a model store, pulling from a local Hub-shaped server and a local Ollama registry.
public sealed class OllamaPullDeleteTests : IAsyncLifetime
{
    private const string Repo = "tiny-org/Llama-Tiny-GGUF";
    private readonly TempStore _temp = new();
    private FakeHub _hub = null!;
    private FakeOllamaRegistry _registry = null!;
    private MoxingServer _server = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync()
    {
        _hub = await FakeHub.StartAsync();
        foreach (var quant in new[] { "Q8_0", "Q4_K_M" })
            _hub.Add(Repo, $"llama-tiny.{quant}.gguf", File.ReadAllBytes(Fixtures.Path("gguf", $"llama-tiny.{quant}.gguf")));
        _registry = await FakeOllamaRegistry.StartAsync();
        var options = new ServerOptions { Host = "127.0.0.1", Port = 0, ConsoleLogging = false, HubEndpoint = _hub.Endpoint, OllamaRegistry = _registry.Endpoint };
        _server = await MoxingServer.StartAsync(options, Engines.ContinuousBatching, new StoreModelCatalog(_temp.Store));
        _http.BaseAddress = _server.Address;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        await _hub.DisposeAsync();
        await _registry.DisposeAsync();
        _temp.Dispose();
    }

    private async Task<(HttpStatusCode Status, string Text)> SendAsync(HttpMethod method, string path, string json)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await _http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Streamed_pull_reports_manifest_downloads_and_success_then_the_model_runs()
    {
        var (status, text) = await SendAsync(HttpMethod.Post, "/api/pull", """{"model":"hf.co/tiny-org/Llama-Tiny-GGUF:Q8_0"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal("pulling manifest", (string?)lines[0]["status"]);
        Assert.Equal("success", (string?)lines[^1]["status"]);
        var downloads = lines.Where(l => (string?)l["status"] == "downloading").ToList();
        Assert.NotEmpty(downloads);
        var size = new FileInfo(Fixtures.Path("gguf", "llama-tiny.Q8_0.gguf")).Length;
        Assert.Equal(size, (long)downloads[^1]["total"]!);
        Assert.Equal(size, (long)downloads[^1]["completed"]!);
        Assert.StartsWith("sha256:", (string?)downloads[^1]["digest"]);
        Assert.Contains(lines, l => (string?)l["status"] == "writing manifest");

        var name = "hf.co/tiny-org/llama-tiny-gguf:q8_0";
        Assert.NotNull(_temp.Store.TryResolve(name));
        var (chat, reply) = await SendAsync(HttpMethod.Post, "/api/generate",
            $$$"""{"model":"{{{name}}}","prompt":"Hi","stream":false,"options":{"num_predict":2}}""");
        Assert.Equal(HttpStatusCode.OK, chat);
        Assert.True((bool)JsonNode.Parse(reply)!["done"]!);
    }

    [Fact]
    public async Task Unstreamed_pull_is_one_success_object_and_delete_unloads_and_removes()
    {
        var (status, text) = await SendAsync(HttpMethod.Post, "/api/pull", """{"model":"hf:tiny-org/Llama-Tiny-GGUF:Q4_K_M","stream":false}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("success", (string?)JsonNode.Parse(text)!["status"]);
        const string name = "tiny-org/llama-tiny-gguf:q4_k_m";
        Assert.NotNull(_temp.Store.TryResolve(name));

        await SendAsync(HttpMethod.Post, "/api/generate", $$$"""{"model":"{{{name}}}","prompt":"Hi","stream":false,"options":{"num_predict":1}}""");
        Assert.Contains(_server.Models.Resident(), r => ModelName.SameModel(r.Name, name));

        var (deleted, _) = await SendAsync(HttpMethod.Delete, "/api/delete", $$"""{"model":"{{name}}"}""");
        Assert.Equal(HttpStatusCode.OK, deleted);
        Assert.Null(_temp.Store.TryResolve(name));
        Assert.DoesNotContain(_server.Models.Resident(), r => ModelName.SameModel(r.Name, name));
        Assert.Empty(_temp.FilesIn("blobs"));

        var (again, error) = await SendAsync(HttpMethod.Delete, "/api/delete", $$"""{"model":"{{name}}"}""");
        Assert.Equal(HttpStatusCode.NotFound, again);
        Assert.Contains(name, (string?)JsonNode.Parse(error)!["error"]);
    }

    [Fact]
    public async Task Copy_registers_a_second_name_that_outlives_the_first()
    {
        var (status, _) = await SendAsync(HttpMethod.Post, "/api/pull", """{"model":"hf:tiny-org/Llama-Tiny-GGUF:Q4_K_M","stream":false}""");
        Assert.Equal(HttpStatusCode.OK, status);
        const string name = "tiny-org/llama-tiny-gguf:q4_k_m";
        var (copied, _) = await SendAsync(HttpMethod.Post, "/api/copy", $$"""{"source":"{{name}}","destination":"mine:v1"}""");
        Assert.Equal(HttpStatusCode.OK, copied);
        var (deleted, _) = await SendAsync(HttpMethod.Delete, "/api/delete", $$"""{"model":"{{name}}"}""");
        Assert.Equal(HttpStatusCode.OK, deleted);
        // the blobs stay for the copy, which still runs
        Assert.NotEmpty(_temp.FilesIn("blobs"));
        var (chat, reply) = await SendAsync(HttpMethod.Post, "/api/generate", """{"model":"mine:v1","prompt":"Hi","stream":false,"options":{"num_predict":2}}""");
        Assert.Equal(HttpStatusCode.OK, chat);
        Assert.True((bool)JsonNode.Parse(reply)!["done"]!);

        var (missing, error) = await SendAsync(HttpMethod.Post, "/api/copy", """{"source":"nope:1","destination":"other"}""");
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Contains("nope:1", (string?)JsonNode.Parse(error)!["error"]);
        var (bad, _) = await SendAsync(HttpMethod.Post, "/api/copy", """{"source":"mine:v1","destination":"bad name"}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad);
    }

    [Theory]
    [InlineData("""{"model":"llama3.2","stream":false}""", HttpStatusCode.NotFound, "model 'llama3.2:latest' not found")]
    [InlineData("""{"model":"llama3.2"}""", HttpStatusCode.OK, "model 'llama3.2:latest' not found")]
    [InlineData("""{"model":"bad name"}""", HttpStatusCode.BadRequest, "invalid Ollama model name")]
    [InlineData("""{"model":"hf.co/tiny-org/Missing-Repo"}""", HttpStatusCode.OK, "Missing-Repo")]
    [InlineData("""{"model":"hf:tiny-org/Llama-Tiny-GGUF:Q2_K","stream":false}""", HttpStatusCode.BadRequest, "Q2_K")]
    public async Task Bad_references_fail_with_a_message(string json, HttpStatusCode expected, string mentions)
    {
        var (status, text) = await SendAsync(HttpMethod.Post, "/api/pull", json);
        Assert.Equal(expected, status);
        var last = JsonNode.Parse(text.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1])!;
        Assert.Contains(mentions, (string?)last["error"] ?? text);
    }

    [Fact]
    public async Task An_ollama_name_pulls_with_progress_and_runs_with_its_parameters_and_system_prompt()
    {
        const string system = "You are a tiny test model.";
        var digest = _registry.Add("library/qwen3-tiny:q8_0",
            (FakeOllamaRegistry.Model, File.ReadAllBytes(Fixtures.Path("gguf", "qwen3-tiny-realvocab.Q8_0.gguf"))),
            FakeOllamaRegistry.Text(FakeOllamaRegistry.Template, "{{ .Prompt }}"),
            FakeOllamaRegistry.Text(FakeOllamaRegistry.Params, """{"stop":["<|im_start|>"],"temperature":0,"num_ctx":96}"""),
            FakeOllamaRegistry.Text(FakeOllamaRegistry.SystemPrompt, system),
            FakeOllamaRegistry.Text(FakeOllamaRegistry.License, "MIT License"))[0];
        var (status, text) = await SendAsync(HttpMethod.Post, "/api/pull", """{"model":"qwen3-tiny:q8_0"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal("pulling manifest", (string?)lines[0]["status"]);
        Assert.Equal("success", (string?)lines[^1]["status"]);
        var download = lines.Last(l => (string?)l["status"] == "downloading");
        var size = new FileInfo(Fixtures.Path("gguf", "qwen3-tiny-realvocab.Q8_0.gguf")).Length;
        Assert.Equal((digest, size, size), ((string?)download["digest"], (long)download["total"]!, (long)download["completed"]!));

        const string name = "qwen3-tiny:q8_0";
        var (_, tags) = await SendAsync(HttpMethod.Get, "/api/tags", "{}");
        Assert.Contains(JsonNode.Parse(tags)!["models"]!.AsArray(), m => (string?)m!["name"] == name);
        var (_, shown) = await SendAsync(HttpMethod.Post, "/api/show", $$"""{"model":"{{name}}"}""");
        var show = JsonNode.Parse(shown)!;
        Assert.Equal("stop                           \"<|im_start|>\"\ntemperature                    0\nnum_ctx                        96\n", (string?)show["parameters"]);
        Assert.Equal(system, (string?)show["system"]);
        Assert.Equal("MIT License", (string?)show["license"]);
        Assert.Contains($"PARAMETER stop \"<|im_start|>\"\nPARAMETER temperature 0\nPARAMETER num_ctx 96\nSYSTEM \"\"\"{system}\"\"\"", (string?)show["modelfile"]);

        // The chat without a system message is rendered with the model's: it reads as many prompt tokens as one that sends it.
        async Task<int> PromptTokens(string path, string messages, string count)
        {
            var body = path == "/api/chat"
                ? $$$"""{"model":"{{{name}}}","messages":{{{messages}}},"stream":false,"options":{"num_predict":2}}"""
                : $$$"""{"model":"{{{name}}}","messages":{{{messages}}},"max_tokens":2}""";
            var (code, reply) = await SendAsync(HttpMethod.Post, path, body);
            Assert.True(code == HttpStatusCode.OK, reply);
            var node = JsonNode.Parse(reply)!;
            return (int)(path == "/api/chat" ? node[count] : node["usage"]![count])!;
        }
        const string user = """{"role":"user","content":"hi"}""";
        var withDefault = await PromptTokens("/api/chat", $"[{user}]", "prompt_eval_count");
        Assert.Equal(await PromptTokens("/api/chat", $$"""[{"role":"system","content":"{{system}}"},{{user}}]""", "prompt_eval_count"), withDefault);
        Assert.NotEqual(await PromptTokens("/api/chat", $$"""[{"role":"system","content":"x"},{{user}}]""", "prompt_eval_count"), withDefault);
        Assert.Equal(withDefault, await PromptTokens("/v1/chat/completions", $"[{user}]", "prompt_tokens"));

        // num_ctx 96 caps the model's context.
        var (_, ps) = await SendAsync(HttpMethod.Get, "/api/ps", "{}");
        Assert.Equal(96, (int)JsonNode.Parse(ps)!["models"]![0]!["context_length"]!);
    }

    [Fact]
    public async Task OllamaSharp_pulls_with_progress_and_deletes()
    {
        using var client = new OllamaApiClient(_server.Address);
        var statuses = new List<string>();
        await foreach (var update in client.PullModelAsync(new PullModelRequest { Model = "hf.co/tiny-org/Llama-Tiny-GGUF:Q8_0" }))
            if (update?.Status is { } s) statuses.Add(s);
        Assert.Equal("success", statuses[^1]);
        Assert.Contains("downloading", statuses);
        Assert.Contains((await client.ListLocalModelsAsync()), m => m.Name == "hf.co/tiny-org/llama-tiny-gguf:q8_0");
        await client.DeleteModelAsync(new DeleteModelRequest { Model = "hf.co/tiny-org/llama-tiny-gguf:q8_0" });
        Assert.Empty(await client.ListLocalModelsAsync());
    }
}
