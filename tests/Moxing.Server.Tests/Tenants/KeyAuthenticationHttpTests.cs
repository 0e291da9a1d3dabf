using System.Net;
using Moxing.Server.Metering;
using Moxing.Server.Tenants;
using Moxing.Server.Tests.Data;

namespace Moxing.Server.Tests.Tenants;

/// Real HTTP on loopback against a server whose database holds API keys, on every backend of <see cref="TestDatabase.Backends"/>.
public sealed class KeyAuthenticationHttpTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task WithoutKeysTheServerIsOpen(string backend)
    {
        await using var s = await KeyedServer.StartAsync(backend);
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(null)).Status);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task OnceAKeyExistsEveryEndpointButHealthNeedsAValidOne(string backend)
    {
        await using var s = await KeyedServer.StartAsync(backend);
        var key = s.Keys.Create("team-a", new KeyLimits()).Key;
        var (status, body) = await s.ChatAsync(null);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("authentication_error", (string?)body!["error"]!["type"]);
        Assert.Equal("missing_api_key", (string?)body["error"]!["code"]);
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.ChatAsync("mx-garbage")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.Http.GetAsync("/v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.Http.GetAsync("/api/tags")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await s.Http.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(key)).Status);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task RevokedAndExpiredKeysGet401NamingWhy(string backend)
    {
        await using var s = await KeyedServer.StartAsync(backend);
        var revoked = s.Keys.Create("t", new KeyLimits());
        s.Keys.Revoke(revoked.Record.Id);
        var (status, body) = await s.ChatAsync(revoked.Key);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("revoked", (string?)body!["error"]!["message"]);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task AModelTheKeyMayNotUseIs403(string backend)
    {
        await using var s = await KeyedServer.StartAsync(backend);
        var key = s.Keys.Create("t", new KeyLimits { Models = [ServerFixture.Llama] }).Key;
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(key, ServerFixture.Llama)).Status);
        var (status, body) = await s.ChatAsync(key, ServerFixture.Qwen);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("model_not_allowed", (string?)body!["error"]!["code"]);
        Assert.Equal("model", (string?)body["error"]!["param"]);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task ModelListsShowOnlyWhatTheKeyAndItsTenantMayUse(string backend)
    {
        await using var s = await KeyedServer.StartAsync(backend);
        var open = s.Keys.Create("t", new KeyLimits()).Key;
        var llamaOnly = s.Keys.Create("t", new KeyLimits { Models = [ServerFixture.Llama] }).Key;
        s.Tenants.Set("qwen-shop", l => l with { Models = [ServerFixture.Qwen] });
        var ofTenant = s.Keys.Create("qwen-shop", new KeyLimits()).Key;
        Assert.Equal(ServerFixture.Qwen, (string?)(await s.ChatAsync(ofTenant, ServerFixture.Qwen)).Body!["model"]);
        async Task<string[]> Listed(string key, string path, string array, string field)
        {
            var (status, body, _) = await s.SendAsync(HttpMethod.Get, key, path);
            Assert.Equal(HttpStatusCode.OK, status);
            return body![array]!.AsArray().Select(m => (string)m![field]!).Order(StringComparer.Ordinal).ToArray();
        }
        Assert.Equal([ServerFixture.Llama, ServerFixture.Qwen], await Listed(open, "/v1/models", "data", "id"));
        Assert.Equal([ServerFixture.Llama], await Listed(llamaOnly, "/v1/models", "data", "id"));
        Assert.Equal([ServerFixture.Qwen], await Listed(ofTenant, "/v1/models", "data", "id"));
        Assert.Equal([ServerFixture.Llama], (await Listed(llamaOnly, "/api/tags", "models", "name")).Select(n => n.Split(':')[0]));
        Assert.Equal([ServerFixture.Qwen], (await Listed(ofTenant, "/api/ps", "models", "name")).Select(n => n.Split(':')[0]));
        Assert.Empty(await Listed(llamaOnly, "/api/ps", "models", "name"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task RefusalsOfAKnownKeyAreMeteredAndRequestsWithoutOneAreNot(string backend)
    {
        await using var s = await KeyedServer.StartAsync(backend);
        var limited = s.Keys.Create("acme", new KeyLimits { Models = [ServerFixture.Llama] });
        var revoked = s.Keys.Create("acme", new KeyLimits());
        s.Keys.Revoke(revoked.Record.Id);
        Assert.Equal(HttpStatusCode.Forbidden, (await s.ChatAsync(limited.Key, ServerFixture.Qwen)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.ChatAsync(revoked.Key)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.ChatAsync(null)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.ChatAsync("mx-abcdefghijkl-notakey")).Status);
        var rows = s.Usage.Query(new UsageQuery());
        Assert.Equal([(limited.Record.Id, 403, "model_not_allowed"), (revoked.Record.Id, 401, "invalid_api_key")],
            rows.Select(r => (r.KeyId!, r.Status, r.Outcome)));
        Assert.All(rows, r => Assert.Equal(("acme", "/v1/chat/completions", 0), (r.Tenant, r.Endpoint, r.PromptTokens)));
    }

    [Theory]
    [MemberData(nameof(PostgresFailureTests.PostgresOnly), MemberType = typeof(PostgresFailureTests))]
    public async Task ALostDatabaseIs503NamingIt(string backend)
    {
        await using var s = await KeyedServer.StartAsync(backend);
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(null)).Status);
        PostgresCluster.Shared.DropDatabase(s.Database.Url!);
        var (status, body) = await s.ChatAsync(null);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("database_unavailable", (string?)body!["error"]!["code"]);
        Assert.StartsWith("database postgres://", (string?)body["error"]!["message"]);
        Assert.Equal(HttpStatusCode.OK, (await s.Http.GetAsync("/health")).StatusCode);
    }
}
