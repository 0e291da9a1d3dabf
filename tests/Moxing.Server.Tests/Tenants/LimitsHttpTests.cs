using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Moxing.Server.Metering;
using Moxing.Server.Tenants;
using Moxing.Server.Tests.Data;
using OllamaSharp;
using OllamaSharp.Models.Chat;

namespace Moxing.Server.Tests.Tenants;

/// Real HTTP on loopback: each key limit, usage rows per endpoint, and the admin API, on every backend of <see cref="TestDatabase.Backends"/>.
public sealed class LimitsHttpTests
{
    private static Task<KeyedServer> StartAsync(string backend) => KeyedServer.StartAsync(backend,
        [ServerFixture.ModelPath(ServerFixture.Llama), ServerFixture.ModelPath(ServerFixture.Bert), Moxing.Tests.Fixtures.Path("gguf", ServerFixture.Qwen3 + ".gguf")]);

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task RequestsPerMinuteGive429WithTheRetryAfterOfTheNextFreeSlot(string backend)
    {
        await using var s = await StartAsync(backend);
        var key = s.Keys.Create("t", new KeyLimits { RequestsPerMinute = 2 });
        Assert.Equal(HttpStatusCode.OK, (await s.PostAsync(key.Key, "/v1/chat/completions", KeyedServer.Chat(1))).Status);
        Assert.Equal(HttpStatusCode.OK, (await s.PostAsync(key.Key, "/v1/chat/completions", KeyedServer.Chat(1))).Status);
        var (status, body, headers) = await s.PostAsync(key.Key, "/v1/chat/completions", KeyedServer.Chat(1));
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Equal("rate_limit_requests", KeyedServer.Code(body));
        Assert.Equal("rate_limit_error", (string?)body!["error"]!["type"]);
        // Two per minute: one slot frees 30 s after the first request.
        var retry = headers.RetryAfter!.Delta!.Value.TotalSeconds;
        Assert.InRange(retry, 28, 30);
        var rows = s.Rows(key.Record.Id);
        Assert.Equal(3, rows.Count);
        Assert.Equal([200, 200, 429], rows.Select(r => r.Status));
        Assert.Equal("rate_limit_requests", rows[2].Outcome);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task TokensPerMinuteReserveMaxTokensAndSettleWithTheRealCount(string backend)
    {
        await using var s = await StartAsync(backend);
        var key = s.Keys.Create("t", new KeyLimits { TokensPerMinute = 200 });
        var first = await s.PostAsync(key.Key, "/v1/chat/completions", KeyedServer.Chat(20));
        Assert.Equal(HttpStatusCode.OK, first.Status);
        var used = (int)first.Body!["usage"]!["total_tokens"]!;
        var prompt = (int)first.Body["usage"]!["prompt_tokens"]!;
        // Settled: only the real tokens count, so a request reserving exactly the rest fits, while one reserving the whole
        // minute waits until the first request's tokens have refilled (0.3 s each: seconds, far longer than the requests take).
        var (status, body, headers) = await s.PostAsync(key.Key, "/v1/chat/completions", KeyedServer.Chat(200 - prompt));
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Equal("rate_limit_tokens", KeyedServer.Code(body));
        Assert.InRange(headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, Math.Ceiling(used * 0.3));
        var fits = await s.PostAsync(key.Key, "/v1/chat/completions", KeyedServer.Chat(200 - used - prompt));
        Assert.Equal(HttpStatusCode.OK, fits.Status);
        // A request that can never fit the per-minute limit is 413, not a 429 to retry forever, even now that the bucket is
        // (nearly) empty: once this was checked only after the bucket's room, and a fast model made it a 429.
        var (tooBig, tooBigBody, _) = await s.PostAsync(key.Key, "/v1/chat/completions", KeyedServer.Chat(200));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig);
        Assert.Equal("rate_limit_tokens", KeyedServer.Code(tooBigBody));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task TokensPerDayRetryAfterIsUntilUtcMidnight(string backend)
    {
        await using var s = await StartAsync(backend);
        var probe = await s.PostAsync(null, "/v1/chat/completions", KeyedServer.Chat(2));
        Assert.Equal(HttpStatusCode.OK, probe.Status); // open mode: no key yet
        var prompt = (int)probe.Body!["usage"]!["prompt_tokens"]!;
        var key = s.Keys.Create("t", new KeyLimits { TokensPerDay = prompt + 3 });
        Assert.Equal(HttpStatusCode.OK, (await s.PostAsync(key.Key, "/v1/chat/completions", KeyedServer.Chat(2))).Status);
        var (status, body, headers) = await s.PostAsync(key.Key, "/v1/chat/completions", KeyedServer.Chat(2));
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Equal("rate_limit_tokens_per_day", KeyedServer.Code(body));
        var now = DateTimeOffset.UtcNow;
        var midnight = new DateTimeOffset(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);
        // The server rounds up, and counted from a moment before now: up to a second over, plus the time the reply took.
        Assert.InRange(headers.RetryAfter!.Delta!.Value.TotalSeconds, (midnight - now).TotalSeconds - 5, (midnight - now).TotalSeconds + 2);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task MaxTokensAndMaxContextAre400And413NamingTheLimit(string backend)
    {
        await using var s = await StartAsync(backend);
        var key = s.Keys.Create("t", new KeyLimits { MaxTokens = 3, MaxContext = 4 });
        var (status, body, _) = await s.PostAsync(key.Key, "/v1/chat/completions", KeyedServer.Chat(10, text: "x"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status); // the templated prompt is over 4 tokens
        Assert.Equal("context_limit_exceeded", KeyedServer.Code(body));
        var small = s.Keys.Create("t", new KeyLimits { MaxTokens = 3 });
        (status, body, _) = await s.PostAsync(small.Key, "/v1/chat/completions", KeyedServer.Chat(10));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("max_tokens_limit_exceeded", KeyedServer.Code(body));
        Assert.Equal("max_tokens", (string?)body!["error"]!["param"]);
        // Without max_tokens the key's limit is the budget.
        (status, body, _) = await s.PostAsync(small.Key, "/v1/chat/completions", KeyedServer.Chat(null));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.InRange((int)body!["usage"]!["completion_tokens"]!, 1, 3);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task UsageRowsMatchWhatNonStreamedAndStreamedResponsesReport(string backend)
    {
        await using var s = await StartAsync(backend);
        var key = s.Keys.Create("acme", new KeyLimits());
        var whole = await s.PostAsync(key.Key, "/v1/chat/completions", KeyedServer.Chat(5));
        using var request = KeyedServer.Request(HttpMethod.Post, "/v1/chat/completions", key.Key, KeyedServer.Chat(6, stream: true));
        using var response = await s.Http.SendAsync(request);
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        var usage = JsonNode.Parse(events[^2]["data: ".Length..])!["usage"]!;
        var rows = s.Rows(key.Record.Id);
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

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task A_batch_of_prompts_is_one_row_counting_every_prompt_once(string backend)
    {
        await using var s = await StartAsync(backend);
        var key = s.Keys.Create("acme", new KeyLimits());
        var (status, body, _) = await s.PostAsync(key.Key, "/v1/completions",
            $$"""{"model":"{{ServerFixture.Llama}}","prompt":["Hello there","A longer second prompt here"],"n":2,"max_tokens":2}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var row = Assert.Single(s.Rows(key.Record.Id));
        Assert.Equal((int)body!["usage"]!["prompt_tokens"]!, row.PromptTokens);
        Assert.Equal((int)body["usage"]!["completion_tokens"]!, row.CompletionTokens);
        Assert.Equal(4, body["choices"]!.AsArray().Count);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task AClientThatLeavesMidStreamIsMeteredAsCancelledWithWhatWasGenerated(string backend)
    {
        await using var s = await StartAsync(backend);
        // A client that closes its connection at once: by default HttpClient drains an unread response for up to 2 s to
        // reuse the connection, long enough for the server to finish all 400 tokens.
        using var leaving = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = s.Server.Address };
        // Fast kernels can finish a request before the disconnect is seen; a few tries make a cancellation certain.
        UsageRecord? cancelled = null;
        for (var attempt = 0; attempt < 5 && cancelled is null; attempt++)
        {
            var key = s.Keys.Create("t", new KeyLimits());
            using (var request = KeyedServer.Request(HttpMethod.Post, "/v1/chat/completions", key.Key,
                // The real-vocabulary model: its 151k-row output layer keeps generation slower than the disconnect.
                KeyedServer.Chat(400, stream: true, model: ServerFixture.Qwen3)))
            using (var response = await leaving.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
            {
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
                // Leave at the first event: a tiny model on fast kernels can finish 400 tokens before a later disconnect is seen.
                while (await reader.ReadLineAsync() is { } line && !line.StartsWith("data:", StringComparison.Ordinal)) { }
            }
            UsageRecord? row = null;
            for (var i = 0; i < 200 && row is null; i++)
            {
                await Task.Delay(25);
                row = s.Rows(key.Record.Id).SingleOrDefault();
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

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task OllamaChatAndEmbeddingsAreMeteredAndOllamaSharpSendsTheKey(string backend)
    {
        await using var s = await StartAsync(backend);
        var key = s.Keys.Create("t", new KeyLimits());
        var http = new HttpClient { BaseAddress = s.Server.Address };
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
        var embed = await s.PostAsync(key.Key, "/v1/embeddings", $$"""{"model":"{{ServerFixture.Bert}}","input":["one two","three"]}""");
        Assert.Equal(HttpStatusCode.OK, embed.Status);
        var rows = s.Rows(key.Record.Id);
        Assert.Equal(["/api/chat", "/v1/embeddings"], rows.Select(r => r.Endpoint));
        Assert.Equal(3, rows[0].CompletionTokens);
        Assert.Equal((int)embed.Body!["usage"]!["prompt_tokens"]!, rows[1].PromptTokens);
        Assert.Equal(ServerFixture.Bert, rows[1].Model);
        Assert.All(rows, r => Assert.Equal("ok", r.Outcome));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task TheAdminApiManagesKeysAndReportsUsageOnlyForAdmins(string backend)
    {
        await using var s = await StartAsync(backend);
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.PostAsync(null, "/admin/keys", """{"tenant":"x"}""")).Status);
        var (status, created, _) = await s.PostAsync(KeyedServer.AdminSecret, "/admin/keys", """{"tenant":"beta","rpm":5,"models":["llama-tiny"],"weight":2}""");
        Assert.Equal(HttpStatusCode.Created, status);
        var key = (string)created!["key"]!;
        var id = (string)created["id"]!;
        Assert.Equal(5, (int)created["limits"]!["requests_per_minute"]!);
        Assert.Equal(HttpStatusCode.OK, (await s.PostAsync(key, "/v1/chat/completions", KeyedServer.Chat(1))).Status);
        // An ordinary key may not use the admin API; an admin key may.
        using (var list = await s.Http.SendAsync(KeyedServer.Request(HttpMethod.Get, "/admin/keys", key)))
            Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        var admin = s.Keys.Create("ops", new KeyLimits(), admin: true).Key;
        using (var list = await s.Http.SendAsync(KeyedServer.Request(HttpMethod.Get, "/admin/keys?tenant=beta", admin)))
        {
            var data = JsonNode.Parse(await list.Content.ReadAsStringAsync())!["data"]!.AsArray();
            Assert.Equal(id, (string)Assert.Single(data)!["id"]!);
        }
        using (var csv = await s.Http.SendAsync(KeyedServer.Request(HttpMethod.Get, $"/admin/usage?tenant=beta&since={DateTime.UtcNow:yyyy-MM-dd}&format=csv", admin)))
        {
            var lines = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.StartsWith("time,request_id,tenant,key_id", lines[0]);
            Assert.Contains($",beta,{id},", Assert.Single(lines[1..]));
        }
        using (var revoke = await s.Http.SendAsync(KeyedServer.Request(HttpMethod.Delete, $"/admin/keys/{id}", KeyedServer.AdminSecret)))
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.PostAsync(key, "/v1/chat/completions", KeyedServer.Chat(1))).Status);
        using (var missing = await s.Http.SendAsync(KeyedServer.Request(HttpMethod.Delete, "/admin/keys/nosuchkey", KeyedServer.AdminSecret)))
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
