using System.Net;
using System.Text.Json.Nodes;
using Moxing.Server.Tenants;
using Moxing.Server.Tests.Data;

namespace Moxing.Server.Tests.Tenants;

/// A tenant's max context, max tokens and allowed models over real HTTP, on every backend of <see cref="TestDatabase.Backends"/>:
/// enforced with each key's (the smaller cap, the models both allow), the refusal naming whose limit it was, on OpenAI and Ollama
/// endpoints alike.
public sealed class TenantCapsHttpTests
{
    private static Task<KeyedServer> StartAsync(string backend) => KeyedServer.StartAsync(backend,
        [ServerFixture.ModelPath(ServerFixture.Llama), ServerFixture.ModelPath(ServerFixture.Qwen), ServerFixture.ModelPath(ServerFixture.Bert)]);

    private static string Message(JsonNode? body) => (string)body!["error"]!["message"]!;

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task ATenantsModelsAreIntersectedWithEachKeysAndThe403NamesWhoseListRefused(string backend)
    {
        await using var s = await StartAsync(backend);
        s.Tenants.Set("acme", l => l with { Models = [ServerFixture.Llama, ServerFixture.Bert] });
        var open = s.Keys.Create("acme", new KeyLimits());
        var qwenOnly = s.Keys.Create("acme", new KeyLimits { Models = [ServerFixture.Qwen] });
        var other = s.Keys.Create("globex", new KeyLimits());

        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(open.Key)).Status);
        var (status, body, _) = await s.PostAsync(open.Key, "/v1/chat/completions", KeyedServer.Chat(2, model: ServerFixture.Qwen));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal(("model_not_allowed", "permission_error", "model"),
            (KeyedServer.Code(body), (string)body!["error"]!["type"]!, (string)body["error"]!["param"]!));
        Assert.Equal($"the tenant 'acme' may not use model '{ServerFixture.Qwen}'", Message(body));
        // The key allows only qwen and the tenant never does: nothing is left, and each refusal names the list that said no.
        (status, body, _) = await s.PostAsync(qwenOnly.Key, "/v1/chat/completions", KeyedServer.Chat(2));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal($"the API key {qwenOnly.Record.Id} may not use model '{ServerFixture.Llama}'", Message(body));
        (status, body, _) = await s.PostAsync(qwenOnly.Key, "/v1/chat/completions", KeyedServer.Chat(2, model: ServerFixture.Qwen));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal($"the tenant 'acme' may not use model '{ServerFixture.Qwen}'", Message(body));
        // The model in the path (/v1/models/{id}) and embeddings are checked the same way; another tenant is not affected.
        Assert.Equal(HttpStatusCode.Forbidden, (await s.SendAsync(HttpMethod.Get, open.Key, "/v1/models/" + ServerFixture.Qwen)).Status);
        Assert.Equal(HttpStatusCode.OK,
            (await s.PostAsync(open.Key, "/v1/embeddings", $$"""{"model":"{{ServerFixture.Bert}}","input":"one two"}""")).Status);
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(other.Key, ServerFixture.Qwen)).Status);
        // Refusals of a known key are metered with the limit as outcome.
        var refused = s.Rows(open.Record.Id).Single(r => r.Status == 403);
        Assert.Equal(("model_not_allowed", "acme"), (refused.Outcome, refused.Tenant));

        // Clearing the tenant's list applies to the next request.
        s.Tenants.Set("acme", l => l with { Models = null });
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(open.Key, ServerFixture.Qwen)).Status);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task TheSmallerOfKeyAndTenantMaxTokensAndMaxContextRefusesAndSaysWhose(string backend)
    {
        await using var s = await StartAsync(backend);
        s.Tenants.Set("acme", l => l with { MaxTokens = 4 });
        var open = s.Keys.Create("acme", new KeyLimits());
        var tight = s.Keys.Create("acme", new KeyLimits { MaxTokens = 2 });
        var loose = s.Keys.Create("acme", new KeyLimits { MaxTokens = 100 });

        var (status, body, _) = await s.PostAsync(loose.Key, "/v1/chat/completions", KeyedServer.Chat(5));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(("max_tokens_limit_exceeded", "max_tokens"), (KeyedServer.Code(body), (string)body!["error"]!["param"]!));
        Assert.Equal("max_tokens is 5 but the tenant 'acme' allows at most 4 tokens per request", Message(body));
        (status, body, _) = await s.PostAsync(tight.Key, "/v1/chat/completions", KeyedServer.Chat(3));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal($"max_tokens is 3 but the API key {tight.Record.Id} allows at most 2 tokens per request", Message(body));
        Assert.Equal(HttpStatusCode.OK, (await s.PostAsync(open.Key, "/v1/chat/completions", KeyedServer.Chat(4))).Status);
        // Without max_tokens the stricter cap is the budget: the tenant's 4 for a key without one, the key's 2 under it. The
        // random-weight model may stop early, so the bound is checked from above and the length finish from the response.
        foreach (var (key, cap) in new[] { (open, 4), (tight, 2), (loose, 4) })
        {
            (status, body, _) = await s.PostAsync(key.Key, "/v1/chat/completions", KeyedServer.Chat(null));
            Assert.Equal(HttpStatusCode.OK, status);
            var completion = (int)body!["usage"]!["completion_tokens"]!;
            Assert.InRange(completion, 1, cap);
            if ((string?)body["choices"]![0]!["finish_reason"] == "length") Assert.Equal(cap, completion);
        }

        // Max context: the tenant's 4 prompt tokens refuse the templated prompt (over 4 tokens) with a 413 naming the tenant, and a
        // key with a smaller cap is named instead.
        s.Tenants.Set("acme", l => l with { MaxContext = 4 });
        (status, body, _) = await s.PostAsync(open.Key, "/v1/chat/completions", KeyedServer.Chat(1, text: "x"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal(("context_limit_exceeded", "messages"), (KeyedServer.Code(body), (string)body!["error"]!["param"]!));
        Assert.Matches(@"^the prompt has \d+ tokens but the tenant 'acme' allows at most 4 prompt tokens per request$", Message(body));
        var tiny = s.Keys.Create("acme", new KeyLimits { MaxContext = 3 });
        (status, body, _) = await s.PostAsync(tiny.Key, "/v1/chat/completions", KeyedServer.Chat(1, text: "x"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.EndsWith($"but the API key {tiny.Record.Id} allows at most 3 prompt tokens per request", Message(body));
        // Embeddings count their input against the same cap.
        (status, body, _) = await s.PostAsync(open.Key, "/v1/embeddings",
            $$"""{"model":"{{ServerFixture.Bert}}","input":"one two three four five six seven"}""");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal(("context_limit_exceeded", "input"), (KeyedServer.Code(body), (string)body!["error"]!["param"]!));
        Assert.Contains("the tenant 'acme'", Message(body));
        var row = s.Rows(open.Record.Id)[^1];
        Assert.Equal((413, "context_limit_exceeded"), (row.Status, row.Outcome));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task OllamaEndpointsEnforceTheTenantsCapsWithOllamasErrorShape(string backend)
    {
        await using var s = await StartAsync(backend);
        s.Tenants.Set("acme", l => l with { Models = [ServerFixture.Llama, ServerFixture.Bert], MaxTokens = 3 });
        var key = s.Keys.Create("acme", new KeyLimits());
        static string Chat(string model, string options = "") =>
            $$"""{"model":"{{model}}","messages":[{"role":"user","content":"Hi"}],"stream":false{{options}}}""";

        var (status, body, _) = await s.PostAsync(key.Key, "/api/chat", Chat(ServerFixture.Qwen));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal($"the tenant 'acme' may not use model '{ServerFixture.Qwen}'", (string)body!["error"]!);
        (status, body, _) = await s.PostAsync(key.Key, "/api/chat", Chat(ServerFixture.Llama, ""","options":{"num_predict":8}"""));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("max_tokens is 8 but the tenant 'acme' allows at most 3 tokens per request", (string)body!["error"]!);
        // Without num_predict (Ollama's default is to run to the end) the tenant's cap is the budget.
        (status, body, _) = await s.PostAsync(key.Key, "/api/chat", Chat(ServerFixture.Llama));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.InRange((int)body!["eval_count"]!, 1, 3);
        (status, body, _) = await s.PostAsync(key.Key, "/api/generate", $$"""{"model":"{{ServerFixture.Qwen}}","prompt":"Hi","stream":false}""");
        Assert.Equal(HttpStatusCode.Forbidden, status);

        s.Tenants.Set("acme", l => l with { MaxContext = 2 });
        (status, body, _) = await s.PostAsync(key.Key, "/api/embed", $$"""{"model":"{{ServerFixture.Bert}}","input":"one two three four"}""");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Matches(@"^the prompt has \d+ tokens but the tenant 'acme' allows at most 2 prompt tokens per request$", (string)body!["error"]!);
        Assert.Equal(["/api/chat", "/api/chat", "/api/chat", "/api/generate", "/api/embed"], s.Rows(key.Record.Id).Select(r => r.Endpoint));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task TheAdminApiSetsListsAndClearsATenantsCapsAndModels(string backend)
    {
        await using var s = await StartAsync(backend);
        var key = s.Keys.Create("acme", new KeyLimits());
        var (status, set, _) = await s.PostAsync(KeyedServer.AdminSecret, "/admin/tenants",
            $$"""{"tenant":"acme","max_context":512,"max_tokens":2,"models":["{{ServerFixture.Llama}}"]}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var limits = set!["limits"]!;
        Assert.Equal((512, 2), ((int)limits["max_context"]!, (int)limits["max_tokens"]!));
        Assert.Equal([ServerFixture.Llama], limits["models"]!.AsArray().Select(m => (string)m!));
        Assert.Equal(HttpStatusCode.Forbidden, (await s.ChatAsync(key.Key, ServerFixture.Qwen)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await s.PostAsync(key.Key, "/v1/chat/completions", KeyedServer.Chat(3))).Status);

        // A field left out stays; null clears one; a single name is a list of one.
        (status, set, _) = await s.PostAsync(KeyedServer.AdminSecret, "/admin/tenants", $$"""{"tenant":"acme","max_tokens":null,"models":"{{ServerFixture.Qwen}}"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["max_context", "models"], set!["limits"]!.AsObject().Select(p => p.Key).Order());
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(key.Key, ServerFixture.Qwen)).Status);
        var (_, list, _) = await s.SendAsync(HttpMethod.Get, KeyedServer.AdminSecret, "/admin/tenants");
        var acme = Assert.Single(list!["data"]!.AsArray())!;
        Assert.Equal(512, (int)acme["limits"]!["max_context"]!);
        Assert.Equal([ServerFixture.Qwen], acme["limits"]!["models"]!.AsArray().Select(m => (string)m!));
        (status, set, _) = await s.PostAsync(KeyedServer.AdminSecret, "/admin/tenants", """{"tenant":"acme","models":null,"max_context":null}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Empty(set!["limits"]!.AsObject());

        foreach (var (bad, says) in new[]
                 {
                     ("""{"tenant":"acme","models":[]}""", "the model list is empty"),
                     ("""{"tenant":"acme","models":[""]}""", "a model name in the list is empty"),
                     ("""{"tenant":"acme","models":5}""", "models"),
                     ("""{"tenant":"acme","max_context":0}""", "max_context must be a whole number"),
                     ("""{"tenant":"acme","max_tokens":2.5}""", "max_tokens must be a whole number"),
                 })
        {
            var (badStatus, error, _) = await s.PostAsync(KeyedServer.AdminSecret, "/admin/tenants", bad);
            Assert.Equal(HttpStatusCode.BadRequest, badStatus);
            Assert.Contains(says, Message(error));
        }
        Assert.Null(s.Tenants.Get("acme")!.Limits.Models);
    }
}
