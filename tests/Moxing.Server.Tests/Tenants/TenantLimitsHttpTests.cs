using System.Net;
using Moxing.Server.Tenants;
using Moxing.Server.Tests.Data;

namespace Moxing.Server.Tests.Tenants;

/// Tenant-level limits over real HTTP, on every backend of <see cref="TestDatabase.Backends"/>: shared by a tenant's keys, enforced
/// with each key's, set over the admin API.
public sealed class TenantLimitsHttpTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task TwoKeysOfOneTenantShareTheTenantsRequestsPerMinute(string backend)
    {
        await using var s = await KeyedServer.StartAsync(backend);
        s.Tenants.Set("acme", l => l with { RequestsPerMinute = 3 });
        var first = s.Keys.Create("acme", new KeyLimits());
        var second = s.Keys.Create("acme", new KeyLimits());
        var other = s.Keys.Create("globex", new KeyLimits());
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(first.Key)).Status);
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(first.Key)).Status);
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(second.Key)).Status);
        // Neither key has a limit of its own: the fourth request of the tenant is over its 3 a minute.
        var (status, body, headers) = await s.PostAsync(second.Key, "/v1/chat/completions", KeyedServer.Chat(2));
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Equal("rate_limit_requests", KeyedServer.Code(body));
        Assert.StartsWith("the tenant 'acme' reached its limit of 3 requests per minute", (string)body!["error"]!["message"]!);
        Assert.InRange(headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 20);
        // Another tenant is not held back.
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(other.Key)).Status);
        var refused = s.Rows(second.Record.Id)[^1];
        Assert.Equal((429, "rate_limit_requests", "acme"), (refused.Status, refused.Outcome, refused.Tenant));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task TheStricterOfKeyAndTenantRefusesAndSaysWhose(string backend)
    {
        await using var s = await KeyedServer.StartAsync(backend);
        s.Tenants.Set("acme", l => l with { RequestsPerMinute = 100, TokensPerMinute = 300 });
        var key = s.Keys.Create("acme", new KeyLimits { RequestsPerMinute = 1 });
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(key.Key)).Status);
        var (status, body, _) = await s.PostAsync(key.Key, "/v1/chat/completions", KeyedServer.Chat(2));
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.StartsWith($"the API key {key.Record.Id} reached its limit of 1 requests per minute", (string)body!["error"]!["message"]!);
        var roomy = s.Keys.Create("acme", new KeyLimits { TokensPerMinute = 10_000 });
        (status, body, _) = await s.PostAsync(roomy.Key, "/v1/chat/completions", KeyedServer.Chat(400));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("rate_limit_tokens", KeyedServer.Code(body));
        Assert.Contains("the tenant 'acme' allows 300 tokens per minute", (string)body!["error"]!["message"]!);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task TheAdminApiSetsListsAndRemovesTenantLimitsWhichApplyToTheNextRequest(string backend)
    {
        await using var s = await KeyedServer.StartAsync(backend);
        var key = s.Keys.Create("acme", new KeyLimits());
        Assert.Equal(HttpStatusCode.Forbidden, (await s.PostAsync(key.Key, "/admin/tenants", """{"tenant":"acme","rpm":1}""")).Status);
        var (status, set, _) = await s.PostAsync(KeyedServer.AdminSecret, "/admin/tenants", """{"tenant":"acme","rpm":1,"weight":2}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, (int)set!["limits"]!["requests_per_minute"]!);
        Assert.Equal(2, (double)set["limits"]!["weight"]!);
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(key.Key)).Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await s.ChatAsync(key.Key)).Status);
        // A field left out stays; null clears one.
        (status, set, _) = await s.PostAsync(KeyedServer.AdminSecret, "/admin/tenants", """{"tenant":"acme","rpm":null,"tpm":5000}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var limits = set!["limits"]!.AsObject();
        Assert.Equal([("tokens_per_minute", 5000.0), ("weight", 2.0)], limits.Select(p => (p.Key, (double)p.Value!)).Order());
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(key.Key)).Status);
        var (listed, list, _) = await s.SendAsync(HttpMethod.Get, KeyedServer.AdminSecret, "/admin/tenants");
        Assert.Equal(HttpStatusCode.OK, listed);
        var acme = Assert.Single(list!["data"]!.AsArray())!;
        Assert.Equal(("acme", 1), ((string)acme["tenant"]!, (int)acme["active_keys"]!));
        foreach (var bad in new[] { """{"tenant":"acme","rpm":0}""", """{"tenant":"acme","tpm":1.5}""", """{"tenant":"acme","weight":"x"}""", """{"tenant":"acme","rpn":1}""", """{"rpm":1}""" })
            Assert.Equal(HttpStatusCode.BadRequest, (await s.PostAsync(KeyedServer.AdminSecret, "/admin/tenants", bad)).Status);
        Assert.Equal(HttpStatusCode.OK, (await s.SendAsync(HttpMethod.Delete, KeyedServer.AdminSecret, "/admin/tenants/acme")).Status);
        Assert.Null(s.Tenants.Get("acme"));
        var (missing, missingBody, _) = await s.SendAsync(HttpMethod.Delete, KeyedServer.AdminSecret, "/admin/tenants/acme");
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Equal("tenant_not_found", KeyedServer.Code(missingBody));
    }
}
