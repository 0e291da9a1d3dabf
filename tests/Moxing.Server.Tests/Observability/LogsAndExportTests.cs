using System.Collections;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Moxing.Server.Hosting;
using Moxing.Server.Models;
using Moxing.Server.Observability;

namespace Moxing.Server.Tests.Observability;

public sealed class LogsAndExportTests
{
    private static ServerOptions Options(ServerOptions with) => with with
    {
        Host = "127.0.0.1",
        Port = 0,
        Models = [ServerFixture.ModelPath(ServerFixture.Llama)],
    };

    private static StringContent Chat() =>
        new("""{"model":"llama-tiny","messages":[{"role":"user","content":"Hello"}],"max_tokens":3,"temperature":0}""", Encoding.UTF8, "application/json");

    [Fact]
    public async Task Json_logs_are_one_object_per_line_and_every_request_is_logged_with_its_id()
    {
        var log = new StringWriter();
        await using (var server = await MoxingServer.StartAsync(Options(new ServerOptions { LogFormat = LogFormat.Json, LogWriter = TextWriter.Synchronized(log) }),
                         Engines.ContinuousBatching))
        {
            using var http = new HttpClient { BaseAddress = server.Address };
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Chat() };
            request.Headers.Add("X-Request-Id", "log-test-1");
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(request)).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/nowhere")).StatusCode);
        }
        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var entries = lines.Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.All(entries, e => Assert.NotNull((string?)e["time"]));
        var chat = entries.Single(e => (string?)e["request_id"] == "log-test-1" && e["Status"] is not null);
        Assert.Equal(200, (int)chat["Status"]!);
        Assert.Equal("/v1/chat/completions", (string?)chat["Path"]);
        Assert.Equal("llama-tiny", (string?)chat["Model"]);
        Assert.Equal(3, (int)chat["CompletionTokens"]!);
        Assert.Equal("Information", (string?)chat["level"]);
        Assert.Contains("log-test-1", lines.Single(l => l.Contains("\"Status\":200")));
        var missing = entries.Single(e => (string?)e["Path"] == "/nowhere");
        Assert.Equal(404, (int)missing["Status"]!);
        Assert.Matches("^[0-9a-f]{32}$", (string?)missing["request_id"]);
        // The model load, logged inside the first request, carries that request's id.
        Assert.Contains(entries, e => (string?)e["category"] == typeof(ModelManager).FullName && (string?)e["request_id"] == "log-test-1");
    }

    [Fact]
    public async Task Spans_are_exported_over_otlp_http()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        using var collector = new HttpListener();
        collector.Prefixes.Add($"http://127.0.0.1:{port}/");
        collector.Start();
        var received = ReceiveAsync(collector);

        await using (var server = await MoxingServer.StartAsync(
                         Options(new ServerOptions { ConsoleLogging = false, OtlpEndpoint = new Uri($"http://127.0.0.1:{port}") }), Engines.ContinuousBatching))
        {
            using var http = new HttpClient { BaseAddress = server.Address };
            Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/v1/chat/completions", Chat())).StatusCode);
        } // stopping flushes the exporter
        var (path, contentType, body) = await received.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("/v1/traces", path);
        Assert.Equal("application/x-protobuf", contentType);
        var text = Encoding.UTF8.GetString(body);
        Assert.Contains(MoxingTracing.SourceName, text);
        Assert.Contains("POST /v1/chat/completions", text);
        Assert.Contains("prefill", text);
        Assert.Contains("moxing", text); // service.name
    }

    private static async Task<(string Path, string? ContentType, byte[] Body)> ReceiveAsync(HttpListener collector)
    {
        var context = await collector.GetContextAsync();
        using var body = new MemoryStream();
        await context.Request.InputStream.CopyToAsync(body);
        context.Response.StatusCode = 200;
        context.Response.Close();
        return (context.Request.Url!.AbsolutePath, context.Request.ContentType, body.ToArray());
    }

    [Fact]
    public void Without_an_endpoint_nothing_is_exported()
    {
        Assert.Null(TraceExport.Start(null, new Hashtable()));
        Assert.Throws<Core.MoxingException>(() => TraceExport.Start(null, new Hashtable { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "not a url" }));
        Assert.Throws<Core.MoxingException>(() =>
            TraceExport.Start(new Uri("http://127.0.0.1:1"), new Hashtable { ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "carrier-pigeon" }));
    }
}
