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
