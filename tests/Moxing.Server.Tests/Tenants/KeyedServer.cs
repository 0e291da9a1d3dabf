using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Moxing.Server.Hosting;
using Moxing.Server.Metering;
using Moxing.Server.Models;
using Moxing.Server.Tenants;
using Moxing.Server.Tests.Data;

namespace Moxing.Server.Tests.Tenants;

/// A server on loopback over a fresh database of one backend (<see cref="TestDatabase.Backends"/>), a client for it, and the key,
/// tenant and usage stores it reads.
public sealed class KeyedServer : IAsyncDisposable
{
    public const string AdminSecret = "test-admin-secret-0123456789";

    private MoxingServer _server = null!;

    private KeyedServer(TestDatabase db)
    {
        Database = db;
        var opened = db.Open();
        Keys = new ApiKeyStore(opened);
        Tenants = new TenantStore(opened);
        Usage = new UsageStore(opened);
    }

    public TestDatabase Database { get; }

    public ApiKeyStore Keys { get; }

    public TenantStore Tenants { get; }

    public UsageStore Usage { get; }

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromMinutes(5) };

    public MoxingServer Server => _server;

    /// Starts a server serving <paramref name="models"/> (default: llama-tiny and qwen2-tiny) with the admin secret <see cref="AdminSecret"/>.
    public static async Task<KeyedServer> StartAsync(string backend, IReadOnlyList<string>? models = null, EngineFactory? engines = null,
        Func<ServerOptions, ServerOptions>? configure = null)
    {
        var s = new KeyedServer(new TestDatabase(backend));
        try
        {
            var options = new ServerOptions
            {
                Port = 0,
                ConsoleLogging = false,
                Home = s.Database.Home,
                Database = s.Database.Url,
                AdminKey = AdminSecret,
                Models = models ?? [ServerFixture.ModelPath(ServerFixture.Llama), ServerFixture.ModelPath(ServerFixture.Qwen)],
            };
            s._server = await MoxingServer.StartAsync(configure?.Invoke(options) ?? options, engines ?? Engines.ContinuousBatching);
        }
        catch
        {
            s.Database.Dispose();
            throw;
        }
        s.Http.BaseAddress = s._server.Address;
        return s;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _server.DisposeAsync();
        Database.Dispose();
    }

    /// A chat request body for <paramref name="model"/>; streamed ones ask for the usage chunk.
    public static string Chat(int? maxTokens, bool stream = false, string text = "Hi", string model = ServerFixture.Llama) =>
        $$"""{"model":"{{model}}","messages":[{"role":"user","content":"{{text}}"}]{{(maxTokens is { } m ? $",\"max_tokens\":{m}" : "")}}{{(stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : "")}}}""";

    public static HttpRequestMessage Request(HttpMethod method, string path, string? key, string? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (json != null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        if (key != null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    /// Sends a request and reads its whole body (parsed when it is a JSON object).
    public async Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseHeaders Headers)> SendAsync(HttpMethod method, string? key, string path, string? json = null)
    {
        using var request = Request(method, path, key, json);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 && text[0] == '{' ? JsonNode.Parse(text) : null, response.Headers);
    }

    public Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseHeaders Headers)> PostAsync(string? key, string path, string json) =>
        SendAsync(HttpMethod.Post, key, path, json);

    /// A non-streamed chat completion of 2 tokens.
    public async Task<(HttpStatusCode Status, JsonNode? Body)> ChatAsync(string? key, string model = ServerFixture.Llama)
    {
        var (status, body, _) = await PostAsync(key, "/v1/chat/completions", Chat(2, model: model));
        return (status, body);
    }

    /// The usage rows of one key, oldest first.
    public List<UsageRecord> Rows(string keyId) => Usage.Query(new UsageQuery(KeyId: keyId)).ToList();

    /// The error code of an OpenAI-shaped error body.
    public static string Code(JsonNode? body) => (string)body!["error"]!["code"]!;
}
