using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Moxing.Server.Data;
using Moxing.Server.Hosting;
using Moxing.Server.Models;
using Moxing.Server.Tenants;

namespace Moxing.Server.Tests.Tenants;

/// Real HTTP on loopback against a server whose home holds API keys.
public sealed class KeyAuthenticationHttpTests : IAsyncLifetime
{
    private readonly string _home = Directory.CreateTempSubdirectory("moxing-auth-").FullName;
    private MoxingServer _server = null!;
    private ApiKeyStore _keys = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync()
    {
        _keys = new ApiKeyStore(MoxingDatabase.OpenIn(_home));
        _server = await MoxingServer.StartAsync(new ServerOptions
        {
            Port = 0,
            ConsoleLogging = false,
            Home = _home,
            Models = [ServerFixture.ModelPath(ServerFixture.Llama), ServerFixture.ModelPath(ServerFixture.Qwen)],
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

    private async Task<(HttpStatusCode Status, JsonNode? Body)> ChatAsync(string? key, string model = ServerFixture.Llama)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"{{model}}","messages":[{"role":"user","content":"Hi"}],"max_tokens":2}""", Encoding.UTF8, "application/json"),
        };
        if (key != null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null);
    }

    [Fact]
    public async Task WithoutKeysTheServerIsOpen() => Assert.Equal(HttpStatusCode.OK, (await ChatAsync(null)).Status);

    [Fact]
    public async Task OnceAKeyExistsEveryEndpointButHealthNeedsAValidOne()
    {
        var key = _keys.Create("team-a", new KeyLimits()).Key;
        var (status, body) = await ChatAsync(null);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("authentication_error", (string?)body!["error"]!["type"]);
        Assert.Equal("missing_api_key", (string?)body["error"]!["code"]);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ChatAsync("mx-garbage")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _http.GetAsync("/v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _http.GetAsync("/api/tags")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(key)).Status);
    }

    [Fact]
    public async Task RevokedAndExpiredKeysGet401NamingWhy()
    {
        var revoked = _keys.Create("t", new KeyLimits());
        _keys.Revoke(revoked.Record.Id);
        var (status, body) = await ChatAsync(revoked.Key);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("revoked", (string?)body!["error"]!["message"]);
    }

    [Fact]
    public async Task AModelTheKeyMayNotUseIs403()
    {
        var key = _keys.Create("t", new KeyLimits { Models = [ServerFixture.Llama] }).Key;
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(key, ServerFixture.Llama)).Status);
        var (status, body) = await ChatAsync(key, ServerFixture.Qwen);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("model_not_allowed", (string?)body!["error"]!["code"]);
        Assert.Equal("model", (string?)body["error"]!["param"]);
    }
}
