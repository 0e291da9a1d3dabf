using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Moxing.Server.Hosting;
using Moxing.Server.Models;

namespace Moxing.Server.Tests.Observability;

public sealed class HardeningTests
{
    private static ServerOptions Options(ServerOptions? with = null) => (with ?? new ServerOptions()) with
    {
        Host = "127.0.0.1",
        Port = 0,
        Models = [ServerFixture.ModelPath(ServerFixture.Llama)],
        ConsoleLogging = with?.ConsoleLogging ?? false,
    };

    private static string Chat(int maxTokens, bool stream) =>
        $$"""{"model":"llama-tiny","messages":[{"role":"user","content":"Hello there"}],"max_tokens":{{maxTokens}},"temperature":0,"stream":{{(stream ? "true" : "false")}}}""";

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task A_body_over_the_limit_is_a_413_in_openai_shape_and_the_server_stays_healthy()
    {
        await using var server = await MoxingServer.StartAsync(Options(new ServerOptions { MaxBodyBytes = 4096 }), Engines.ContinuousBatching);
        using var http = new HttpClient { BaseAddress = server.Address };
        var big = """{"model":"llama-tiny","messages":[{"role":"user","content":" """ + new string('a', 10_000) + "\"}]}";
        var response = await http.PostAsync("/v1/chat/completions", Json(big));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("request_too_large", (string?)error["code"]);
        Assert.Contains("--max-body", (string?)error["message"]);
        Assert.True(response.Headers.Contains("X-Request-Id"));

        // A chunked body (no Content-Length) is cut off at the limit as well.
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
        chunked.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await http.SendAsync(request)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/v1/chat/completions", Json(Chat(2, false)))).StatusCode);
    }

    [Fact]
    public async Task Oversized_headers_are_refused()
    {
        await using var server = await MoxingServer.StartAsync(Options(), Engines.ContinuousBatching);
        using var http = new HttpClient { BaseAddress = server.Address };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.Add("X-Padding", new string('p', ServerOptions.DefaultMaxHeaderBytes + 1));
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, (await http.SendAsync(request)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task Cors_allows_only_listed_origins()
    {
        await using var server = await MoxingServer.StartAsync(Options(new ServerOptions { CorsOrigins = ["https://app.example"] }), Engines.ContinuousBatching);
        using var http = new HttpClient { BaseAddress = server.Address };
        async Task<HttpResponseMessage> Preflight(string origin)
        {
            using var request = new HttpRequestMessage(HttpMethod.Options, "/v1/chat/completions");
            request.Headers.Add("Origin", origin);
            request.Headers.Add("Access-Control-Request-Method", "POST");
            request.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
            return await http.SendAsync(request);
        }
        var allowed = await Preflight("https://app.example");
        Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        Assert.Equal("https://app.example", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.False((await Preflight("https://evil.example")).Headers.Contains("Access-Control-Allow-Origin"));

        using var get = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        get.Headers.Add("Origin", "https://app.example");
        var response = await http.SendAsync(get);
        Assert.Equal("https://app.example", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("X-Request-Id", response.Headers.GetValues("Access-Control-Expose-Headers").Single());
    }

    [Fact]
    public async Task Tls_serves_https_with_a_pem_certificate_and_key()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var dir = Directory.CreateTempSubdirectory("moxing-tls-");
        try
        {
            var certPath = Path.Combine(dir.FullName, "cert.pem");
            var keyPath = Path.Combine(dir.FullName, "key.pem");
            await File.WriteAllTextAsync(certPath, cert.ExportCertificatePem());
            await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());
            await using var server = await MoxingServer.StartAsync(Options(new ServerOptions { TlsCertificatePath = certPath, TlsKeyPath = keyPath }),
                Engines.ContinuousBatching);
            Assert.Equal("https", server.Address.Scheme);
            using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, c, _, _) => c!.Thumbprint == cert.Thumbprint };
            using var https = new HttpClient(handler) { BaseAddress = server.Address };
            Assert.Equal(HttpStatusCode.OK, (await https.GetAsync("/health")).StatusCode);
            var reply = await https.PostAsync("/v1/chat/completions", Json(Chat(2, false)));
            Assert.Equal(HttpStatusCode.OK, reply.StatusCode);

            // Plain HTTP to the TLS port gets no answer.
            using var plain = new HttpClient { BaseAddress = new UriBuilder(server.Address) { Scheme = "http" }.Uri };
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => plain.GetAsync("/health"));

            await File.WriteAllTextAsync(keyPath, "-----BEGIN PRIVATE KEY-----\nbm9ub25zZW5zZQ==\n-----END PRIVATE KEY-----\n");
            var bad = await Assert.ThrowsAsync<Core.InvalidModelFileException>(() =>
                MoxingServer.StartAsync(Options(new ServerOptions { TlsCertificatePath = certPath, TlsKeyPath = keyPath }), Engines.ContinuousBatching));
            Assert.Contains(certPath, bad.Message);
            await Assert.ThrowsAsync<Core.MoxingException>(() =>
                MoxingServer.StartAsync(Options(new ServerOptions { TlsCertificatePath = certPath }), Engines.ContinuousBatching));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_request_deadline_answers_504_or_ends_a_stream_with_an_error_event()
    {
        // 50 tokens at 100 ms each outlast the deadline; the deadline leaves a loaded machine time to stream the first ones
        await using var server = await MoxingServer.StartAsync(Options(new ServerOptions { RequestTimeout = TimeSpan.FromMilliseconds(1500) }),
            SlowEngine.Factory(TimeSpan.FromMilliseconds(100)));
        using var http = new HttpClient { BaseAddress = server.Address };
        var whole = await http.PostAsync("/v1/chat/completions", Json(Chat(50, false)));
        Assert.Equal(HttpStatusCode.GatewayTimeout, whole.StatusCode);
        var error = JsonNode.Parse(await whole.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("request_timeout", (string?)error["code"]);
        Assert.Equal("timeout_error", (string?)error["type"]);

        var stream = await http.PostAsync("/v1/chat/completions", Json(Chat(50, true)));
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        var events = (await stream.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        Assert.Equal("request_timeout", (string?)JsonNode.Parse(events[^2]["data: ".Length..])!["error"]!["code"]);
        Assert.True(events.Length > 3, "some tokens should have been streamed before the deadline");

        var ollama = await http.PostAsync("/api/chat", Json("""{"model":"llama-tiny","messages":[{"role":"user","content":"Hi"}],"options":{"num_predict":50,"temperature":0}}"""));
        var lines = (await ollama.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("--request-timeout", (string?)JsonNode.Parse(lines[^1])!["error"]);

        var metrics = await http.GetStringAsync("/metrics");
        Assert.Equal(3, MetricsText.Sample(metrics, "moxing_request_success_total", """{model_name="llama-tiny",finished_reason="abort"}"""));
        Assert.Equal(1, MetricsText.Sample(metrics, "moxing_http_requests_total", """{handler="/v1/chat/completions",method="POST",status="504"}"""));
    }

    [Fact]
    public async Task Shutdown_lets_a_running_stream_finish_and_refuses_new_connections()
    {
        var server = await MoxingServer.StartAsync(Options(new ServerOptions { ShutdownGrace = TimeSpan.FromSeconds(20) }),
            SlowEngine.Factory(TimeSpan.FromMilliseconds(30)));
        var address = server.Address;
        using var http = new HttpClient { BaseAddress = address };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Json(Chat(30, true)) };
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.StartsWith("data: ", await reader.ReadLineAsync());
        var clock = Stopwatch.StartNew();
        var stopping = server.DisposeAsync().AsTask();
        var rest = await reader.ReadToEndAsync();
        Assert.EndsWith("data: [DONE]\n\n", rest);
        Assert.Contains("\"finish_reason\":\"length\"", rest);
        await stopping;
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"shutdown took {clock.Elapsed}");
        using var fresh = new HttpClient { BaseAddress = address };
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => fresh.GetAsync("/health"));
    }

    [Fact]
    public async Task Shutdown_cancels_what_is_still_running_after_the_grace_period()
    {
        var server = await MoxingServer.StartAsync(Options(new ServerOptions { ShutdownGrace = TimeSpan.FromMilliseconds(300) }),
            SlowEngine.Factory(TimeSpan.FromMilliseconds(100)));
        using var http = new HttpClient { BaseAddress = server.Address };
        var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Json(Chat(200, true)) },
            HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await reader.ReadLineAsync();
        var clock = Stopwatch.StartNew();
        await server.DisposeAsync();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"a 20 s stream held shutdown for {clock.Elapsed}");
        var rest = "";
        try
        {
            rest = await reader.ReadToEndAsync();
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            // The connection was aborted.
        }
        Assert.DoesNotContain("[DONE]", rest);
    }
}
