using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Moxing.Server.Hosting;
using Moxing.Server.Models;
using Moxing.Server.Tenants;
using Moxing.Server.Tests.Data;

namespace Moxing.Server.Tests.Tenants;

/// Real HTTP on loopback against a server whose database holds API keys, on every backend of <see cref="TestDatabase.Backends"/>.
public sealed class KeyAuthenticationHttpTests
{
    /// A server over a fresh database, a client for it, and the key store it reads.
    private sealed class KeyedServer : IAsyncDisposable
    {
        private readonly TestDatabase _db;
        private MoxingServer _server = null!;

        private KeyedServer(TestDatabase db)
        {
            _db = db;
            Keys = new ApiKeyStore(db.Open());
        }

        public ApiKeyStore Keys { get; }

        public TestDatabase Database => _db;

        public HttpClient Http { get; } = new();

        public static async Task<KeyedServer> StartAsync(string backend)
        {
            var s = new KeyedServer(new TestDatabase(backend));
            s._server = await MoxingServer.StartAsync(new ServerOptions
            {
                Port = 0,
                ConsoleLogging = false,
                Home = s._db.Home,
                Database = s._db.Url,
                Models = [ServerFixture.ModelPath(ServerFixture.Llama), ServerFixture.ModelPath(ServerFixture.Qwen)],
            }, Engines.ContinuousBatching);
            s.Http.BaseAddress = s._server.Address;
            return s;
        }

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await _server.DisposeAsync();
            _db.Dispose();
        }

        public async Task<(HttpStatusCode Status, JsonNode? Body)> ChatAsync(string? key, string model = ServerFixture.Llama)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Content = new StringContent($$"""{"model":"{{model}}","messages":[{"role":"user","content":"Hi"}],"max_tokens":2}""", Encoding.UTF8, "application/json"),
            };
            if (key != null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await Http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null);
        }
    }

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
