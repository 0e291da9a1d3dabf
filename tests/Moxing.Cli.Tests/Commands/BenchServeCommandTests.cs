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
        foreach (var (model, status) in new[] { ("broken", 404), ("busy", 429), ("crashing", 500) })
        {
            if (!body.Contains($"\"{model}\"") || body.Contains("Warm-up")) continue;
            response.StatusCode = status;
            await response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes($"{{\"error\":{{\"message\":\"model '{model}' answers {status}\"}}}}"));
            response.Close();
            return;
        }
        if (context.Request.Url!.AbsolutePath == "/metrics")
        {
            // Resident memory grows by 5% per scrape: 1 GiB after the warm-up, 1.05 GiB after the run.
            int scrape;
            lock (_bodies) scrape = _bodies.Count(b => b.StartsWith("/metrics", StringComparison.Ordinal)) - 1;
            await response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes($"# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {(1L << 30) * (1 + 0.05 * scrape):F0}\n"));
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
        // A warm-up request per client of the largest level before the levels, not counted, and two scrapes of /metrics around them.
        var measured = _bodies.Where(b => !b.Contains("Warm-up") && !b.StartsWith("/metrics", StringComparison.Ordinal)).ToList();
        Assert.Equal(12, measured.Count);
        Assert.Equal(3, _bodies.Count(b => b.Contains("Warm-up")));
        Assert.Equal(17, _bodies.Count);
        var path = chat ? "/v1/chat/completions " : "/v1/completions ";
        Assert.All(measured, b => Assert.StartsWith(path, b));
        Assert.All(measured, b => Assert.Contains("\"stream\":true", b));
        // Within a level every prompt starts with its own request number, so no two share a cached prefix.
        Assert.Equal(6, measured.Select(b => b[..b.IndexOf(". ", StringComparison.Ordinal)]).Distinct().Count());
        Assert.Equal(5.0, doc.RootElement.GetProperty("server_rss_growth_percent").GetDouble(), 6);
    }

    [Fact]
    public void FailedRequestsAreCountedAndReported()
    {
        var (code, output, err) = CliRunner.Run("bench-serve", _url, "--model", "broken", "-c", "2", "--requests", "2");
        Assert.Equal(1, code);
        Assert.Contains("0/2", output);
        Assert.Contains("HTTP 404", err);
        Assert.Contains("model 'broken' answers 404", err);
    }

    [Fact]
    public void ADurationRunsClientsBackToBackUntilItEnds()
    {
        // the model loads on its first request: loaded first, so the second of measured time is all requests
        Assert.Equal(0, CliRunner.Run("bench-serve", _url, "-c", "1", "--requests", "1", "-n", "1").Code);
        // three seconds: on a loaded CI host one cold client's first request alone has taken most of a second
        var (code, output, err) = CliRunner.Run("bench-serve", _url, "-c", "3", "--duration", "3s", "--requests", "100000", "-n", "5", "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(3, doc.RootElement.GetProperty("duration_s").GetDouble());
        var level = doc.RootElement.GetProperty("levels")[0];
        var requests = level.GetProperty("requests").GetInt32();
        Assert.InRange(requests, 4, 99_999);
        Assert.Equal(requests, level.GetProperty("statuses").GetProperty("200").GetInt32());
        Assert.InRange(level.GetProperty("wall_s").GetDouble(), 3, 30);
        Assert.True(level.GetProperty("latency_ms").GetProperty("p95").GetDouble() > 0);
    }

    [Fact]
    public void A429IsCountedAsAnAnswerAndA5xxAsAFailure()
    {
        var (code, output, err) = CliRunner.Run("bench-serve", _url, "--model", "busy", "-c", "2", "--requests", "4", "--json");
        Assert.True(code == 0, err);
        var level = JsonDocument.Parse(output).RootElement.GetProperty("levels")[0];
        Assert.Equal((4, 0, 0), (level.GetProperty("refused_429").GetInt32(), level.GetProperty("server_errors_5xx").GetInt32(), level.GetProperty("failed").GetInt32()));

        (code, output, err) = CliRunner.Run("bench-serve", _url, "--model", "crashing", "-c", "2", "--requests", "4");
        Assert.Equal(1, code);
        Assert.Matches(@"\|\s+0/4 \|\s+0 \|\s+4 \|", output);
        Assert.Contains("500: 4", output);
        Assert.Contains("4 requests failed", err);
    }

    [Fact]
    public void MemoryGrowthOverTheLimitFailsTheRun()
    {
        var (code, output, err) = CliRunner.Run("bench-serve", _url, "-c", "1", "--requests", "2", "--max-rss-growth", "2");
        Assert.Equal(1, code);
        Assert.Contains("server resident memory: 1.00 GiB after warm-up, 1.05 GiB after the run (+5.0%)", output);
        Assert.Contains("grew by 5.0%, more than --max-rss-growth 2%", err);
    }

    [Theory]
    [InlineData("http://192.0.2.1:8080", "not a loopback address")]
    [InlineData("http://127.0.0.1:1", "--duration (400 s) must be shorter than --limit-s (300 s)", "--duration", "400s")]
    [InlineData("http://127.0.0.1:1", "--duration: duration must be a duration", "--duration", "soon")]
    public void RefusesRemoteServersAndUnboundedRuns(string url, string message, params string[] more)
    {
        var (code, _, err) = CliRunner.Run(["bench-serve", url, .. more]);
        Assert.Equal(1, code);
        Assert.Contains(message, err);
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
