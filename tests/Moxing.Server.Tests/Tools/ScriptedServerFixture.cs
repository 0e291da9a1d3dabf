using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Moxing.Server.Hosting;
using Moxing.Server.Models;
using Moxing.Tests;

namespace Moxing.Server.Tests.Tools;

/// A server whose Qwen3 model (Hermes tool-call format) writes what the prompt scripts, to test tool-call parsing over HTTP.
public sealed class ScriptedServerFixture : IAsyncLifetime
{
    public const string Model = ServerFixture.Qwen3;

    public MoxingServer Server { get; private set; } = null!;
    public HttpClient Http { get; } = new();
    public Uri Address => Server.Address;

    public async Task InitializeAsync()
    {
        var options = new ServerOptions
        {
            Host = "127.0.0.1",
            Port = 0,
            Models = [Fixtures.Path("gguf", Model + ".gguf")],
            ConsoleLogging = false,
        };
        Server = await MoxingServer.StartAsync(options, ScriptedEngine.For("<|im_end|>"));
        Http.BaseAddress = Server.Address;
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }

    public async Task<(int Status, string Text)> PostAsync(string path, JsonNode body)
    {
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var response = await Http.PostAsync(path, content);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
