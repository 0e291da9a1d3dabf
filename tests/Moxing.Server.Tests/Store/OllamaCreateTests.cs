using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Moxing.Server.Hosting;
using Moxing.Server.Models;
using Moxing.Server.Store;
using Moxing.Tests;
using OllamaSharp;
using OllamaSharp.Models;

namespace Moxing.Server.Tests.Store;

/// /api/create and /api/blobs over a server whose catalog is a model store: derived models, uploaded files, quantized copies.
public sealed class OllamaCreateTests : IAsyncLifetime
{
    private readonly TempStore _temp = new();
    private MoxingServer _server = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync()
    {
        _temp.Store.Import(Fixtures.Path("gguf", "qwen3-tiny-realvocab.Q8_0.gguf"), "qwen3-tiny:q8_0", copy: true);
        _temp.Store.Import(Fixtures.Path("gguf", "llama-k256.F16.gguf"), "k256:f16", copy: true);
        var options = new ServerOptions { Host = "127.0.0.1", Port = 0, ConsoleLogging = false };
        _server = await MoxingServer.StartAsync(options, Engines.ContinuousBatching, new StoreModelCatalog(_temp.Store));
        _http.BaseAddress = _server.Address;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        _temp.Dispose();
    }

    private async Task<(HttpStatusCode Status, string Text)> SendAsync(HttpMethod method, string path, string json)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await _http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static List<JsonNode> Lines(string text) => [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!)];

    [Fact]
    public async Task A_model_derived_with_a_system_prompt_and_parameters_keeps_the_source_files_and_shows_its_defaults()
    {
        var (status, text) = await SendAsync(HttpMethod.Post, "/api/create",
            """{"model":"helper","from":"qwen3-tiny:q8_0","system":"You answer in one word.","parameters":{"temperature":0,"num_ctx":64,"stop":["<|im_end|>"]},"license":"MIT"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var lines = Lines(text);
        Assert.Equal("success", (string?)lines[^1]["status"]);
        Assert.Contains(lines, l => (string?)l["status"] == "writing manifest");

        var entry = _temp.Store.Resolve("helper");
        var source = _temp.Store.Resolve("qwen3-tiny:q8_0");
        Assert.Equal(source.Digest, entry.Digest);
        Assert.Equal("You answer in one word.", entry.Defaults!.System);
        Assert.Equal(0, entry.Defaults.Temperature);
        Assert.Equal(64, entry.Defaults.NumCtx);
        Assert.Equal(["<|im_end|>"], entry.Defaults.Stop);

        var (shown, show) = await SendAsync(HttpMethod.Post, "/api/show", """{"model":"helper"}""");
        Assert.Equal(HttpStatusCode.OK, shown);
        var details = JsonNode.Parse(show)!;
        Assert.Equal("You answer in one word.", (string?)details["system"]);
        Assert.Contains("num_ctx", (string?)details["parameters"]);
        Assert.Equal("MIT", (string?)details["license"]);

        // a second derivation overrides one value and keeps the rest
        (status, _) = await SendAsync(HttpMethod.Post, "/api/create", """{"model":"helper:v2","from":"helper","parameters":{"temperature":0.5},"stream":false}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var second = _temp.Store.Resolve("helper:v2").Defaults!;
        Assert.Equal(0.5, second.Temperature);
        Assert.Equal("You answer in one word.", second.System);
        Assert.Equal(64, second.NumCtx);

        var (chat, reply) = await SendAsync(HttpMethod.Post, "/api/chat",
            """{"model":"helper","messages":[{"role":"user","content":"Hi"}],"stream":false,"options":{"num_predict":2}}""");
        Assert.Equal(HttpStatusCode.OK, chat);
        Assert.True((bool)JsonNode.Parse(reply)!["done"]!);
    }

    [Fact]
    public async Task Uploaded_blobs_become_a_model_and_a_wrong_digest_is_refused()
    {
        var bytes = File.ReadAllBytes(Fixtures.Path("gguf", "llama-tiny.Q8_0.gguf"));
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
        using (var head = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/api/blobs/{digest}")))
            Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);

        var wrong = "sha256:" + new string('0', 64);
        using (var refused = await _http.PostAsync($"/api/blobs/{wrong}", new ByteArrayContent(bytes)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains(digest, await refused.Content.ReadAsStringAsync());
        }
        Assert.DoesNotContain(_temp.FilesIn("tmp"), f => f.Contains("upload-"));

        using (var created = await _http.PostAsync($"/api/blobs/{digest}", new ByteArrayContent(bytes)))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using (var head = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/api/blobs/{digest}")))
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);

        var (status, text) = await SendAsync(HttpMethod.Post, "/api/create",
            $$"""{"model":"uploaded:q8","files":{"llama-tiny.Q8_0.gguf":"{{digest}}"},"system":"Be brief.","stream":false}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("success", (string?)JsonNode.Parse(text)!["status"]);
        var entry = _temp.Store.Resolve("uploaded:q8");
        Assert.Equal(bytes.Length, entry.Size);
        Assert.Equal("Be brief.", entry.Defaults!.System);
        // the upload now lives in the store's blobs, and still answers HEAD
        Assert.DoesNotContain(_temp.FilesIn("tmp"), f => f.Contains("upload-"));
        using (var head = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/api/blobs/{digest}")))
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        var (generated, reply) = await SendAsync(HttpMethod.Post, "/api/generate", """{"model":"uploaded:q8","prompt":"Hi","stream":false,"options":{"num_predict":2}}""");
        Assert.Equal(HttpStatusCode.OK, generated);
        Assert.True((bool)JsonNode.Parse(reply)!["done"]!);
    }

    [Fact]
    public async Task A_hugging_face_folder_uploads_file_by_file()
    {
        var folder = Fixtures.Path("hf", "models", "llama-tiny");
        var files = new JsonObject();
        foreach (var name in new[] { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json" })
        {
            var bytes = File.ReadAllBytes(Path.Combine(folder, name));
            var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
            using var created = await _http.PostAsync($"/api/blobs/{digest}", new ByteArrayContent(bytes));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            files[name] = digest;
        }
        var (status, text) = await SendAsync(HttpMethod.Post, "/api/create", new JsonObject { ["model"] = "folder", ["files"] = files, ["stream"] = false }.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("success", (string?)JsonNode.Parse(text)!["status"]);
        Assert.Equal(Moxing.Models.ModelFormat.HuggingFace, _temp.Store.Resolve("folder").Format);
    }

    [Fact]
    public async Task Quantize_writes_a_smaller_model_of_the_asked_type_through_ollamasharp()
    {
        var client = new OllamaApiClient(_http);
        var statuses = new List<string>();
        await foreach (var s in client.CreateModelAsync(new CreateModelRequest { Model = "k256:q8_0", From = "k256:f16", Quantize = "q8_0", System = "Short answers.", Stream = true }))
            statuses.Add(s!.Status);
        Assert.Equal("success", statuses[^1]);
        Assert.True(statuses.Any(s => s.StartsWith("quantizing", StringComparison.Ordinal)), string.Join(" | ", statuses));
        var entry = _temp.Store.Resolve("k256:q8_0");
        Assert.Equal("Q8_0", entry.Details.Quantization);
        Assert.True(entry.Size < _temp.Store.Resolve("k256:f16").Size * 0.6);
        Assert.Equal("Short answers.", entry.Defaults!.System);
        var (generated, reply) = await SendAsync(HttpMethod.Post, "/api/generate", """{"model":"k256:q8_0","prompt":"Hi","stream":false,"options":{"num_predict":2}}""");
        Assert.Equal(HttpStatusCode.OK, generated);
        Assert.True((bool)JsonNode.Parse(reply)!["done"]!);
    }

    [Theory]
    [InlineData("""{"model":"x","from":"nope:1","stream":false}""", HttpStatusCode.NotFound, "nope:1")]
    [InlineData("""{"model":"x","stream":false}""", HttpStatusCode.BadRequest, "exactly one of 'from'")]
    [InlineData("""{"model":"bad name","from":"qwen3-tiny:q8_0"}""", HttpStatusCode.BadRequest, "bad name")]
    [InlineData("""{"model":"x","from":"qwen3-tiny:q8_0","template":"{{ .Prompt }}"}""", HttpStatusCode.BadRequest, "template")]
    [InlineData("""{"model":"x","from":"qwen3-tiny:q8_0","parameters":{"mirostat_tau":5}}""", HttpStatusCode.BadRequest, "parameters.mirostat_tau")]
    [InlineData("""{"model":"x","from":"qwen3-tiny:q8_0","quantize":"q9_X"}""", HttpStatusCode.BadRequest, "q9_X")]
    [InlineData("""{"model":"x","files":{"a.gguf":"sha256:0000000000000000000000000000000000000000000000000000000000000000"},"stream":false}""",
        HttpStatusCode.BadRequest, "upload it to /api/blobs")]
    [InlineData("""{"model":"x","files":{"../a.gguf":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}}""",
        HttpStatusCode.BadRequest, "'..'")]
    public async Task Bad_requests_fail_with_a_message_naming_the_problem(string json, HttpStatusCode expected, string mentions)
    {
        var (status, text) = await SendAsync(HttpMethod.Post, "/api/create", json);
        Assert.Equal(expected, status);
        Assert.Contains(mentions, (string?)JsonNode.Parse(text.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1])!["error"] ?? text);
        Assert.Null(_temp.Store.TryResolve("x"));
    }
}
