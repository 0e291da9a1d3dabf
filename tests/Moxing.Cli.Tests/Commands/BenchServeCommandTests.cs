using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Moxing.Cli.Tests.Commands;

/// <summary>bench-serve against a scripted OpenAI-style streaming server on loopback.</summary>
public sealed class BenchServeCommandTests : IDisposable
{
    private const int TokensPerRequest = 5;
    private readonly HttpListener _listener = new();
    private readonly string _url;
    private readonly List<string> _bodies = [];

    public BenchServeCommandTests()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _url = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(_url);
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    public void Dispose() => _listener.Close();

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            _ = Task.Run(() => Answer(context));
        }
    }

    private async Task Answer(HttpListenerContext context)
    {
        using var reader = new StreamReader(context.Request.InputStream);
        var body = await reader.ReadToEndAsync();
        lock (_bodies) _bodies.Add(context.Request.Url!.AbsolutePath + " " + body);
        var response = context.Response;
        if (body.Contains("\"broken\""))
        {
            response.StatusCode = 404;
            await response.OutputStream.WriteAsync("{\"error\":{\"message\":\"model 'broken' not found\"}}"u8.ToArray());
            response.Close();
            return;
        }
        response.ContentType = "text/event-stream";
        var chat = context.Request.Url!.AbsolutePath.EndsWith("chat/completions");
        async Task Send(string data)
        {
            await response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes($"data: {data}\n\n"));
            await response.OutputStream.FlushAsync();
        }
        if (chat) await Send("{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}");
        for (var i = 0; i < TokensPerRequest; i++)
        {
            await Task.Delay(2);
            await Send(chat ? $"{{\"choices\":[{{\"delta\":{{\"content\":\"t{i}\"}}}}]}}" : $"{{\"choices\":[{{\"text\":\"t{i}\"}}]}}");
        }
        await Send($"{{\"choices\":[],\"usage\":{{\"prompt_tokens\":9,\"completion_tokens\":{TokensPerRequest}}}}}");
        await Send("[DONE]");
        response.Close();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MeasuresEveryLevelFromTheStreamedTokens(bool chat)
    {
        var args = new List<string> { "bench-serve", _url, "-c", "1,3", "--requests", "6", "-n", "5", "--prompt-words", "7", "--json" };
        if (chat) args.Add("--chat");
        var (code, output, err) = CliRunner.Run([.. args]);
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(output);
        var levels = doc.RootElement.GetProperty("levels");
        Assert.Equal(2, levels.GetArrayLength());
        foreach (var level in levels.EnumerateArray())
        {
            Assert.Equal(6, level.GetProperty("succeeded").GetInt32());
            Assert.Equal(6 * TokensPerRequest, level.GetProperty("completion_tokens").GetInt32());
            Assert.True(level.GetProperty("tokens_per_second").GetDouble() > 0);
            Assert.True(level.GetProperty("ttft_ms").GetProperty("p50").GetDouble() > 0);
            Assert.True(level.GetProperty("itl_ms").GetProperty("p95").GetDouble() >= level.GetProperty("itl_ms").GetProperty("p50").GetDouble());
        }
        Assert.Equal(12, _bodies.Count);
        var path = chat ? "/v1/chat/completions " : "/v1/completions ";
        Assert.All(_bodies, b => Assert.StartsWith(path, b));
        Assert.All(_bodies, b => Assert.Contains("\"stream\":true", b));
        // Within a level every prompt starts with its own request number, so no two share a cached prefix.
        Assert.Equal(6, _bodies.Select(b => b[..b.IndexOf(". ", StringComparison.Ordinal)]).Distinct().Count());
    }

    [Fact]
    public void FailedRequestsAreCountedAndReported()
    {
        var (code, output, err) = CliRunner.Run("bench-serve", _url, "--model", "broken", "-c", "2", "--requests", "2");
        Assert.Equal(1, code);
        Assert.Contains("0/2", output);
        Assert.Contains("HTTP 404", err);
        Assert.Contains("model 'broken' not found", err);
    }

    [Theory]
    [InlineData("ftp://host")]
    [InlineData("not a url")]
    public void RejectsWhatIsNotAnHttpUrl(string url)
    {
        var (code, _, err) = CliRunner.Run("bench-serve", url);
        Assert.Equal(1, code);
        Assert.Contains("http(s) URL", err);
    }
}
