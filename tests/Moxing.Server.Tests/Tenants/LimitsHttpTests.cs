using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Moxing.Server.Data;
using Moxing.Server.Hosting;
using Moxing.Server.Metering;
using Moxing.Server.Models;
using Moxing.Server.Tenants;
using OllamaSharp;
using OllamaSharp.Models.Chat;

namespace Moxing.Server.Tests.Tenants;

/// Real HTTP on loopback: each key limit, usage rows per endpoint, and the admin API.
public sealed class LimitsHttpTests : IAsyncLifetime
{
    private const string AdminSecret = "test-admin-secret-0123456789";
    private readonly string _home = Directory.CreateTempSubdirectory("moxing-limits-").FullName;
    private MoxingServer _server = null!;
    private ApiKeyStore _keys = null!;
    private UsageStore _usage = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync()
    {
        var db = MoxingDatabase.OpenIn(_home);
        _keys = new ApiKeyStore(db);
        _usage = new UsageStore(db);
        _server = await MoxingServer.StartAsync(new ServerOptions
        {
            Port = 0,
            ConsoleLogging = false,
            Home = _home,
            AdminKey = AdminSecret,
            Models = [ServerFixture.ModelPath(ServerFixture.Llama), ServerFixture.ModelPath(ServerFixture.Bert), Moxing.Tests.Fixtures.Path("gguf", ServerFixture.Qwen3 + ".gguf")],
        }, Engines.ContinuousBatching);
        _http.BaseAddress = _server.Address;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_home, recursive: true);
    }

    private static string Chat(int? maxTokens, bool stream = false, string text = "Hi", string model = ServerFixture.Llama) =>
        $$"""{"model":"{{model}}","messages":[{"role":"user","content":"{{text}}"}]{{(maxTokens is { } m ? $",\"max_tokens\":{m}" : "")}}{{(stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : "")}}}""";

    private async Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseHeaders Headers)> PostAsync(string? key, string path, string json)
    {
        using var request = Request(HttpMethod.Post, path, key, json);
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 && text[0] == '{' ? JsonNode.Parse(text) : null, response.Headers);
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, string? key, string? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (json != null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        if (key != null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    private static string Code(JsonNode? body) => (string)body!["error"]!["code"]!;

    private List<UsageRecord> Rows(string keyId) => _usage.Query(new UsageQuery(KeyId: keyId)).ToList();

    [Fact]
    public async Task RequestsPerMinuteGive429WithTheRetryAfterOfTheNextFreeSlot()
    {
        var key = _keys.Create("t", new KeyLimits { RequestsPerMinute = 2 });
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(key.Key, "/v1/chat/completions", Chat(1))).Status);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(key.Key, "/v1/chat/completions", Chat(1))).Status);
        var (status, body, headers) = await PostAsync(key.Key, "/v1/chat/completions", Chat(1));
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Equal("rate_limit_requests", Code(body));
        Assert.Equal("rate_limit_error", (string?)body!["error"]!["type"]);
        // Two per minute: one slot frees 30 s after the first request.
        var retry = headers.RetryAfter!.Delta!.Value.TotalSeconds;
        Assert.InRange(retry, 28, 30);
        var rows = Rows(key.Record.Id);
        Assert.Equal(3, rows.Count);
        Assert.Equal([200, 200, 429], rows.Select(r => r.Status));
        Assert.Equal("rate_limit_requests", rows[2].Outcome);
    }

    [Fact]
    public async Task TokensPerMinuteReserveMaxTokensAndSettleWithTheRealCount()
    {
        var key = _keys.Create("t", new KeyLimits { TokensPerMinute = 400 });
        var first = await PostAsync(key.Key, "/v1/chat/completions", Chat(2));
        Assert.Equal(HttpStatusCode.OK, first.Status);
        var used = (int)first.Body!["usage"]!["total_tokens"]!;
        var prompt = (int)first.Body["usage"]!["prompt_tokens"]!;
        // Settled: only the real tokens count, so a request reserving exactly the rest fits, and one more token does not.
        var (status, body, headers) = await PostAsync(key.Key, "/v1/chat/completions", Chat(400 - used - prompt + 1));
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Equal("rate_limit_tokens", Code(body));
        // One token over: it fits once 1 token (0.15 s) has refilled, so the client is told to retry in a second.
        Assert.Equal(1, headers.RetryAfter!.Delta!.Value.TotalSeconds);
        var fits = await PostAsync(key.Key, "/v1/chat/completions", Chat(400 - used - prompt));
        Assert.Equal(HttpStatusCode.OK, fits.Status);
        // A request that can never fit the per-minute limit is 413, not a 429 to retry forever.
        var (tooBig, tooBigBody, _) = await PostAsync(key.Key, "/v1/chat/completions", Chat(400));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig);
        Assert.Equal("rate_limit_tokens", Code(tooBigBody));
    }

    [Fact]
    public async Task TokensPerDayRetryAfterIsUntilUtcMidnight()
    {
        var probe = await PostAsync(null, "/v1/chat/completions", Chat(2));
        Assert.Equal(HttpStatusCode.OK, probe.Status); // open mode: no key yet
        var prompt = (int)probe.Body!["usage"]!["prompt_tokens"]!;
        var key = _keys.Create("t", new KeyLimits { TokensPerDay = prompt + 3 });
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(key.Key, "/v1/chat/completions", Chat(2))).Status);
        var (status, body, headers) = await PostAsync(key.Key, "/v1/chat/completions", Chat(2));
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Equal("rate_limit_tokens_per_day", Code(body));
        var now = DateTimeOffset.UtcNow;
        var midnight = new DateTimeOffset(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);
        // The server rounds up, and counted from a moment before now: up to a second over, plus the time the reply took.
        Assert.InRange(headers.RetryAfter!.Delta!.Value.TotalSeconds, (midnight - now).TotalSeconds - 5, (midnight - now).TotalSeconds + 2);
    }

    [Fact]
    public async Task MaxTokensAndMaxContextAre400And413NamingTheLimit()
    {
        var key = _keys.Create("t", new KeyLimits { MaxTokens = 3, MaxContext = 4 });
        var (status, body, _) = await PostAsync(key.Key, "/v1/chat/completions", Chat(10, text: "x"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status); // the templated prompt is over 4 tokens
        Assert.Equal("context_limit_exceeded", Code(body));
        var small = _keys.Create("t", new KeyLimits { MaxTokens = 3 });
        (status, body, _) = await PostAsync(small.Key, "/v1/chat/completions", Chat(10));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("max_tokens_limit_exceeded", Code(body));
        Assert.Equal("max_tokens", (string?)body!["error"]!["param"]);
        // Without max_tokens the key's limit is the budget.
        (status, body, _) = await PostAsync(small.Key, "/v1/chat/completions", Chat(null));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.InRange((int)body!["usage"]!["completion_tokens"]!, 1, 3);
    }

    [Fact]
    public async Task UsageRowsMatchWhatNonStreamedAndStreamedResponsesReport()
    {
        var key = _keys.Create("acme", new KeyLimits());
        var whole = await PostAsync(key.Key, "/v1/chat/completions", Chat(5));
        using var request = Request(HttpMethod.Post, "/v1/chat/completions", key.Key, Chat(6, stream: true));
        using var response = await _http.SendAsync(request);
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        var usage = JsonNode.Parse(events[^2]["data: ".Length..])!["usage"]!;
        var rows = Rows(key.Record.Id);
        Assert.Equal(2, rows.Count);
        foreach (var (row, reported) in rows.Zip([whole.Body!["usage"]!, usage]))
        {
            Assert.Equal("acme", row.Tenant);
            Assert.Equal(ServerFixture.Llama, row.Model);
            Assert.Equal("/v1/chat/completions", row.Endpoint);
            Assert.Equal((200, "ok"), (row.Status, row.Outcome));
            Assert.Equal((int)reported["prompt_tokens"]!, row.PromptTokens);
            Assert.Equal((int)reported["completion_tokens"]!, row.CompletionTokens);
            Assert.Equal((int)reported["prompt_tokens_details"]!["cached_tokens"]!, row.CachedTokens);
            Assert.True(row.TotalMs >= row.TimeToFirstTokenMs && row.TimeToFirstTokenMs >= row.QueueMs && row.QueueMs >= 0);
            Assert.Null(row.PromptText);
            Assert.Null(row.CompletionText);
        }
    }

    [Fact]
    public async Task AClientThatLeavesMidStreamIsMeteredAsCancelledWithWhatWasGenerated()
    {
        // Fast kernels can finish a request before the disconnect is seen; a few tries make a cancellation certain.
        UsageRecord? cancelled = null;
        for (var attempt = 0; attempt < 5 && cancelled is null; attempt++)
        {
            var key = _keys.Create("t", new KeyLimits());
            using (var request = Request(HttpMethod.Post, "/v1/chat/completions", key.Key,
                // The real-vocabulary model: its 151k-row output layer keeps generation slower than the disconnect.
                Chat(400, stream: true, model: ServerFixture.Qwen3)))
            using (var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
            {
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
                // Leave at the first event: a tiny model on fast kernels can finish 400 tokens before a later disconnect is seen.
                while (await reader.ReadLineAsync() is { } line && !line.StartsWith("data:", StringComparison.Ordinal)) { }
            }
            UsageRecord? row = null;
            for (var i = 0; i < 200 && row is null; i++)
            {
                await Task.Delay(25);
                row = Rows(key.Record.Id).SingleOrDefault();
            }
            Assert.NotNull(row);
            Assert.True(row.PromptTokens > 0);
            if (row.Outcome == "cancelled") cancelled = row;
            else Assert.Equal((200, "ok"), (row.Status, row.Outcome));
        }
        Assert.NotNull(cancelled);
        Assert.Equal(MeteredRequest.ClientClosedStatus, cancelled.Status);
        Assert.InRange(cancelled.CompletionTokens, 1, 399);
    }

    [Fact]
    public async Task OllamaChatAndEmbeddingsAreMeteredAndOllamaSharpSendsTheKey()
    {
        var key = _keys.Create("t", new KeyLimits());
        var http = new HttpClient { BaseAddress = _server.Address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Key);
        using var client = new OllamaApiClient(http, ServerFixture.Llama);
        var text = new StringBuilder();
        await foreach (var chunk in client.ChatAsync(new ChatRequest
        {
            Model = ServerFixture.Llama,
            Messages = [new Message(ChatRole.User, "Hello")],
            Options = new OllamaSharp.Models.RequestOptions { NumPredict = 3, Temperature = 0 },
        }))
            text.Append(chunk?.Message.Content);
        var embed = await PostAsync(key.Key, "/v1/embeddings", $$"""{"model":"{{ServerFixture.Bert}}","input":["one two","three"]}""");
        Assert.Equal(HttpStatusCode.OK, embed.Status);
        var rows = Rows(key.Record.Id);
        Assert.Equal(["/api/chat", "/v1/embeddings"], rows.Select(r => r.Endpoint));
        Assert.Equal(3, rows[0].CompletionTokens);
        Assert.Equal((int)embed.Body!["usage"]!["prompt_tokens"]!, rows[1].PromptTokens);
        Assert.Equal(ServerFixture.Bert, rows[1].Model);
        Assert.All(rows, r => Assert.Equal("ok", r.Outcome));
    }

    [Fact]
    public async Task TheAdminApiManagesKeysAndReportsUsageOnlyForAdmins()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(null, "/admin/keys", """{"tenant":"x"}""")).Status);
        var (status, created, _) = await PostAsync(AdminSecret, "/admin/keys", """{"tenant":"beta","rpm":5,"models":["llama-tiny"],"weight":2}""");
        Assert.Equal(HttpStatusCode.Created, status);
        var key = (string)created!["key"]!;
        var id = (string)created["id"]!;
        Assert.Equal(5, (int)created["limits"]!["requests_per_minute"]!);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(key, "/v1/chat/completions", Chat(1))).Status);
        // An ordinary key may not use the admin API; an admin key may.
        using (var list = await _http.SendAsync(Request(HttpMethod.Get, "/admin/keys", key)))
            Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        var admin = _keys.Create("ops", new KeyLimits(), admin: true).Key;
        using (var list = await _http.SendAsync(Request(HttpMethod.Get, "/admin/keys?tenant=beta", admin)))
        {
            var data = JsonNode.Parse(await list.Content.ReadAsStringAsync())!["data"]!.AsArray();
            Assert.Equal(id, (string)Assert.Single(data)!["id"]!);
        }
        using (var csv = await _http.SendAsync(Request(HttpMethod.Get, $"/admin/usage?tenant=beta&since={DateTime.UtcNow:yyyy-MM-dd}&format=csv", admin)))
        {
            var lines = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.StartsWith("time,request_id,tenant,key_id", lines[0]);
            Assert.Contains($",beta,{id},", Assert.Single(lines[1..]));
        }
        using (var revoke = await _http.SendAsync(Request(HttpMethod.Delete, $"/admin/keys/{id}", AdminSecret)))
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(key, "/v1/chat/completions", Chat(1))).Status);
        using (var missing = await _http.SendAsync(Request(HttpMethod.Delete, "/admin/keys/nosuchkey", AdminSecret)))
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
