using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Moxing.Inference.Tools;
using Moxing.Server.Hosting;
using Moxing.Server.Models;
using Moxing.Tests;

namespace Moxing.Server.Tests.Tools;

/// A server whose Qwen3 model (Hermes tool-call format) writes what the prompt scripts, to test tool-call parsing over HTTP;
/// beside it the same model with a harmony chat template (gpt-oss's message format), to test harmony replies.
public sealed class ScriptedServerFixture : IAsyncLifetime
{
    public const string Model = ServerFixture.Qwen3;

    // The Qwen3 fixture with a harmony template (HarmonyModel.Template).
    public const string Harmony = "qwen3-harmony";

    // The Qwen3 fixture with Qwen3-Coder's real template (XML tool calls).
    public const string Coder = "qwen3-coder-xml";

    // The Qwen3 fixture with LFM2's, MiniMax-M2's and Phi-4-mini's real templates, their call markup as control tokens.
    public const string Lfm2 = "qwen3-lfm2";
    public const string MiniMax = "qwen3-minimax-m2";
    public const string Phi4Mini = "qwen3-phi4-mini";

    private readonly string _folder = Directory.CreateTempSubdirectory("moxing-harmony-").FullName;

    public MoxingServer Server { get; private set; } = null!;
    public HttpClient Http { get; } = new();
    public Uri Address => Server.Address;

    public async Task InitializeAsync()
    {
        var options = new ServerOptions
        {
            Host = "127.0.0.1",
            Port = 0,
            Models = [Fixtures.Path("gguf", Model + ".gguf"), WriteHarmonyCopy(), WriteTemplatedCopy(Coder, "Qwen3-Coder", []),
                WriteTemplatedCopy(Lfm2, "LFM2-8B-A1B", ToolCallFormats.Markers(ToolCallFormat.Lfm2)),
                WriteTemplatedCopy(MiniMax, "MiniMax-M2", ToolCallFormats.Markers(ToolCallFormat.MiniMaxM2)),
                WriteTemplatedCopy(Phi4Mini, "microsoft-Phi-4-mini-instruct", ToolCallFormats.Markers(ToolCallFormat.Phi4Mini))],
            ConsoleLogging = false,
        };
        // Phi-4-mini's messages end with <|end|> (which harmony scripts write within theirs), the others' with ChatML's <|im_end|> or MiniMax-M2's [e~[
        Server = await MoxingServer.StartAsync(options, ScriptedEngine.For(model =>
            model.ChatTemplates!.GetTemplate(hasTools: true).Source.Contains("message['tools']", StringComparison.Ordinal) ? ["<|end|>"] : ["<|im_end|>", "[e~["]));
        Http.BaseAddress = Server.Address;
    }

    private string WriteHarmonyCopy()
    {
        var path = Path.Combine(_folder, Harmony + ".gguf");
        HarmonyModel.Write(Model, path, "<|im_end|>", controlTokens: false);
        return path;
    }

    private string WriteTemplatedCopy(string name, string template, IReadOnlyList<string> controlTokens)
    {
        var path = Path.Combine(_folder, name + ".gguf");
        TemplatedModel.Write(Model, path, TemplatedModel.RealTemplate(template), controlTokens);
        return path;
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    public async Task<(int Status, string Text)> PostAsync(string path, JsonNode body)
    {
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var response = await Http.PostAsync(path, content);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
