using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Moxing.Cli.Tests.Edge;

/// <summary>The NativeAOT binary runs `run`, `bench` and `serve` (OpenAI and Ollama chat) on a real GGUF model.</summary>
public sealed class EdgeBinaryTests(EdgeBinary edge) : IClassFixture<EdgeBinary>, IDisposable
{
    private static readonly string Model = Moxing.Tests.Fixtures.Path("gguf", "qwen3-tiny-realvocab.Q8_0.gguf");
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(1);

    [Fact]
    public void Run_generates_a_reply()
    {
        var (code, output) = EdgeBinary.Run(edge.Path, ["run", Model, "Hello", "-n", "8", "--threads", "1", "--verbose"], Limit, Home());
        Assert.True(code == 0, output);
        Assert.Contains("tokens", output);
    }

    [Fact]
    public void Bench_reports_prefill_and_decode_rates_as_json()
    {
        var (code, output) = EdgeBinary.Run(edge.Path, ["bench", Model, "-p", "16", "-n", "4", "-r", "1", "-t", "1", "--json"], Limit, Home());
        Assert.True(code == 0, output);
        var json = output[output.IndexOfAny(['[', '{'])..];
        var rates = JsonNode.Parse(json)!.ToJsonString();
        Assert.Contains("pp16", rates);
        Assert.Contains("tg4", rates);
    }

    [Fact]
    public async Task Serve_answers_openai_and_ollama_chat()
    {
        var info = new ProcessStartInfo(edge.Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "serve", Model, "--port", "0", "--threads", "1", "--parallel", "1" }) info.ArgumentList.Add(a);
        foreach (var (k, v) in Home()) info.Environment[k] = v;
        using var server = Process.Start(info)!;
        var log = new StringBuilder();
        server.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        server.BeginErrorReadLine();
        try
        {
            var address = await ReadAddressAsync(server, log);
            using var http = new HttpClient { BaseAddress = address, Timeout = Limit };
            var models = JsonNode.Parse(await http.GetStringAsync("v1/models"))!;
            var name = models["data"]![0]!["id"]!.GetValue<string>();

            var chat = new JsonObject
            {
                ["model"] = name,
                ["max_tokens"] = 6,
                ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Hi" }),
            };
            using var openAi = await http.PostAsync("v1/chat/completions", new StringContent(chat.ToJsonString(), Encoding.UTF8, "application/json"));
            var openAiBody = await openAi.Content.ReadAsStringAsync();
            Assert.True(openAi.IsSuccessStatusCode, openAiBody);
            var reply = JsonNode.Parse(openAiBody)!;
            Assert.Equal("assistant", reply["choices"]![0]!["message"]!["role"]!.GetValue<string>());
            Assert.True(reply["usage"]!["completion_tokens"]!.GetValue<int>() > 0, openAiBody);

            var ollama = new JsonObject
            {
                ["model"] = name,
                ["stream"] = false,
                ["options"] = new JsonObject { ["num_predict"] = 6 },
                ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Hi" }),
            };
            using var api = await http.PostAsync("api/chat", new StringContent(ollama.ToJsonString(), Encoding.UTF8, "application/json"));
            var apiBody = await api.Content.ReadAsStringAsync();
            Assert.True(api.IsSuccessStatusCode, apiBody);
            var answer = JsonNode.Parse(apiBody)!;
            Assert.True(answer["done"]!.GetValue<bool>(), apiBody);
            Assert.True(answer["eval_count"]!.GetValue<int>() > 0, apiBody);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    private static async Task<Uri> ReadAddressAsync(Process server, StringBuilder log)
    {
        using var deadline = new CancellationTokenSource(Limit);
        while (await server.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
        {
            var match = Regex.Match(line, @" on (http://\S+/)$");
            if (match.Success) return new Uri(match.Groups[1].Value);
        }
        lock (log) Assert.Fail("serve ended without printing its address:\n" + log);
        throw new UnreachableException();
    }

    // A fresh store so the test never reads or writes the user's $MOXING_HOME; removed with the test.
    private readonly string _home = Directory.CreateTempSubdirectory("moxing-edge-").FullName;

    private Dictionary<string, string> Home() => new() { ["MOXING_HOME"] = _home };

    public void Dispose() => Directory.Delete(_home, recursive: true);
}
