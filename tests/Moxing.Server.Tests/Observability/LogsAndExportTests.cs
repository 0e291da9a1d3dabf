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
    public async Task Spans_and_metrics_are_exported_over_otlp_http()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        using var collector = new HttpListener();
        collector.Prefixes.Add($"http://127.0.0.1:{port}/");
        collector.Start();
        var received = ReceiveAsync(collector, ["/v1/traces", "/v1/metrics"]);

        await using (var server = await MoxingServer.StartAsync(
                         Options(new ServerOptions { ConsoleLogging = false, OtlpEndpoint = new Uri($"http://127.0.0.1:{port}") }), Engines.ContinuousBatching))
        {
            using var http = new HttpClient { BaseAddress = server.Address };
            Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/v1/chat/completions", Chat())).StatusCode);
        } // stopping flushes the exporters
        var posts = await received.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(posts.Values, p => Assert.Equal("application/x-protobuf", p.ContentType));
        var traces = Encoding.UTF8.GetString(posts["/v1/traces"].Body);
        Assert.Contains(MoxingTracing.SourceName, traces);
        Assert.Contains("POST /v1/chat/completions", traces);
        Assert.Contains("prefill", traces);
        Assert.Contains("moxing", traces); // service.name
        var metrics = Encoding.UTF8.GetString(posts["/v1/metrics"].Body);
        Assert.Contains(ServerMetrics.MeterName, metrics);
        foreach (var name in (string[])["gen_ai.server.time_to_first_token", "gen_ai.client.token.usage", "moxing.http.requests", "gen_ai.request.model", "llama-tiny"])
            Assert.Contains(name, metrics);
    }

    // Answers the collector's posts until one has come to each of the paths, and keeps the first of each.
    private static async Task<Dictionary<string, (string? ContentType, byte[] Body)>> ReceiveAsync(HttpListener collector, string[] paths)
    {
        var posts = new Dictionary<string, (string? ContentType, byte[] Body)>();
        while (!paths.All(posts.ContainsKey))
        {
            var context = await collector.GetContextAsync();
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            context.Response.StatusCode = 200;
            context.Response.Close();
            posts.TryAdd(context.Request.Url!.AbsolutePath, (context.Request.ContentType, body.ToArray()));
        }
        return posts;
    }

    [Fact]
    public void Without_an_endpoint_nothing_is_exported()
    {
        Assert.Null(OtlpExport.Start(null, new Hashtable()));
        Assert.Throws<Core.MoxingException>(() => OtlpExport.Start(null, new Hashtable { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "not a url" }));
        Assert.Throws<Core.MoxingException>(() =>
            OtlpExport.Start(new Uri("http://127.0.0.1:1"), new Hashtable { ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "carrier-pigeon" }));
    }
}
