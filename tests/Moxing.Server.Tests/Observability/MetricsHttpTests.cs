using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Moxing.Server.Observability;

namespace Moxing.Server.Tests.Observability;

[Collection(ServerCollection.Name)]
public sealed class MetricsHttpTests(ServerFixture server)
{
    private const string Model = """{model_name="llama-tiny"}""";

    private static string Chat(string extra = "") =>
        """{"model":"llama-tiny","messages":[{"role":"user","content":"Hello there"}],"max_tokens":6,"temperature":0""" + extra + "}";

    private async Task<string> ScrapeAsync()
    {
        var response = await server.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        return await response.Content.ReadAsStringAsync();
    }

    // A request is counted when the server's pipeline ends, which may be just after the client has the response.
    private async Task<string> ScrapeUntilAsync(Func<string, bool> done)
    {
        var wait = Stopwatch.StartNew();
        while (true)
        {
            var scrape = await ScrapeAsync();
            if (done(scrape) || wait.Elapsed > TimeSpan.FromSeconds(10)) return scrape;
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Metrics_count_requests_tokens_and_latencies_with_vllm_semantics()
    {
        await server.PostAsync("/v1/chat/completions", Chat()); // the model is resident from here on
        var before = await ScrapeAsync();
        var (status, body, _) = await server.PostAsync("/v1/chat/completions", Chat());
        Assert.Equal(200, status);
        var stream = await server.Http.PostAsync("/v1/chat/completions", new StringContent(Chat(",\"stream\":true")));
        Assert.EndsWith("data: [DONE]\n\n", await stream.Content.ReadAsStringAsync());
        const string ok = """{handler="/v1/chat/completions",method="POST",status="200"}""";
        var after = await ScrapeUntilAsync(s =>
            MetricsText.Sample(s, "moxing_http_requests_total", ok) - MetricsText.Sample(before, "moxing_http_requests_total", ok) >= 2);
        double Delta(string name, string labels = Model) => MetricsText.Sample(after, name, labels) - MetricsText.Sample(before, name, labels);

        var completion = (int)body!["usage"]!["completion_tokens"]!;
        var prompt = (int)body["usage"]!["prompt_tokens"]!;
        Assert.Equal(6, completion);
        Assert.Equal(2, Delta("moxing_request_success_total", """{model_name="llama-tiny",finished_reason="length"}"""));
        Assert.Equal(2 * completion, Delta("moxing_generation_tokens_total"));
        Assert.Equal(2 * prompt, Delta("moxing_prompt_tokens_total"));
        Assert.Equal(2 * prompt, Delta("moxing_prefix_cache_queries_total"));
        Assert.True(Delta("moxing_prefix_cache_hits_total") > 0, "the repeated prompt should hit the prefix cache");
        Assert.Equal(2, Delta("moxing_time_to_first_token_seconds_count"));
        Assert.Equal(2, Delta("moxing_e2e_request_latency_seconds_count"));
        Assert.Equal(2, Delta("moxing_request_queue_time_seconds_count"));
        Assert.Equal(2 * (completion - 1), Delta("moxing_inter_token_latency_seconds_count"));
        Assert.Equal(2, Delta("moxing_request_generation_tokens_bucket", """{model_name="llama-tiny",le="10"}"""));
        Assert.True(Delta("moxing_e2e_request_latency_seconds_sum") > 0);
        // Every step of both requests: at least one per generated token.
        Assert.True(Delta("moxing_batch_size_count") >= 2 * completion);
        Assert.True(Delta("moxing_iteration_tokens_total_count") >= 2 * completion);
        Assert.Equal(2, Delta("moxing_http_requests_total", ok));

        Assert.Contains("# TYPE moxing_time_to_first_token_seconds histogram\n", after);
        Assert.Contains("moxing_time_to_first_token_seconds_bucket{model_name=\"llama-tiny\",le=\"2560\"}", after);
        Assert.Contains("moxing_num_requests_running" + Model + " 0\n", after);
        Assert.Contains("moxing_num_requests_waiting" + Model + " 0\n", after);
        Assert.Contains("moxing_kv_cache_usage_perc" + Model + " 0\n", after);
        Assert.True(MetricsText.Sample(after, "moxing_kv_cache_blocks", """{model_name="llama-tiny",state="total"}""") > 0);
        Assert.True(MetricsText.Sample(after, "moxing_models_resident") >= 1);
        Assert.True(MetricsText.Sample(after, "moxing_model_memory_bytes", Model) > 0);
        Assert.True(MetricsText.Sample(after, "process_resident_memory_bytes") > 0);
    }

    [Fact]
    public async Task Errors_are_counted_by_status()
    {
        var before = await ScrapeAsync();
        var (status, _, _) = await server.PostAsync("/v1/chat/completions", """{"model":"no-such-model","messages":[{"role":"user","content":"x"}]}""");
        Assert.Equal(404, status);
        const string labels = """{handler="/v1/chat/completions",method="POST",status="404"}""";
        var after = await ScrapeUntilAsync(s => MetricsText.Sample(s, "moxing_http_requests_total", labels) > MetricsText.Sample(before, "moxing_http_requests_total", labels));
        Assert.Equal(1, MetricsText.Sample(after, "moxing_http_requests_total", labels) - MetricsText.Sample(before, "moxing_http_requests_total", labels));
    }

    [Fact]
    public async Task A_valid_request_id_is_echoed_and_a_bad_one_replaced()
    {
        using var good = new HttpRequestMessage(HttpMethod.Get, "/health");
        good.Headers.Add("X-Request-Id", "client-id_42.a:b");
        var response = await server.Http.SendAsync(good);
        Assert.Equal("client-id_42.a:b", response.Headers.GetValues("X-Request-Id").Single());

        foreach (var bad in new[] { new string('x', 200), "has space", "quote\"s" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
            request.Headers.TryAddWithoutValidation("X-Request-Id", bad);
            var id = (await server.Http.SendAsync(request)).Headers.GetValues("X-Request-Id").Single();
            Assert.NotEqual(bad, id);
            Assert.Matches("^[0-9a-f]{32}$", id);
        }

        // Error responses carry it too.
        var (_, _, missing) = await server.PostAsync("/v1/chat/completions", "{");
        Assert.Matches("^[0-9a-f]{32}$", missing.Headers.GetValues("X-Request-Id").Single());
        Assert.False(RequestId.IsValid(""));
        Assert.True(RequestId.IsValid("a"));
    }

    [Fact]
    public async Task A_request_is_a_span_with_queue_prefill_and_decode_children()
    {
        var id = RequestId.New();
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == MoxingTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                lock (spans) spans.Add(a);
            },
        };
        ActivitySource.AddActivityListener(listener);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(Chat(), Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Request-Id", id);
        const string caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        request.Headers.Add("traceparent", caller);
        var response = await server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var usage = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["usage"]!;

        // The span ends when the server's pipeline does, which may be just after the client has the response.
        Activity? root = null;
        for (var wait = Stopwatch.StartNew(); root is null && wait.Elapsed < TimeSpan.FromSeconds(10); await Task.Delay(10))
            lock (spans) root = spans.SingleOrDefault(s => (string?)s.GetTagItem("moxing.request_id") == id);
        Assert.NotNull(root);
        List<Activity> children;
        lock (spans) children = spans.Where(s => s.ParentSpanId == root.SpanId).ToList();
        Assert.Equal("POST /v1/chat/completions", root.DisplayName);
        Assert.Equal(ActivityKind.Server, root.Kind);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", root.TraceId.ToHexString());
        Assert.Equal("llama-tiny", root.GetTagItem("gen_ai.request.model"));
        Assert.Equal(200, root.GetTagItem("http.response.status_code"));
        Assert.Equal((long)usage["prompt_tokens"]!, root.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal((long)usage["completion_tokens"]!, root.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal("length", root.GetTagItem("gen_ai.response.finish_reasons"));
        Assert.Equal(["decode", "prefill", "queue"], children.Select(c => c.DisplayName).Order());
        var queue = children.Single(c => c.DisplayName == "queue");
        var prefill = children.Single(c => c.DisplayName == "prefill");
        var decode = children.Single(c => c.DisplayName == "decode");
        Assert.True(queue.StartTimeUtc <= prefill.StartTimeUtc && prefill.StartTimeUtc <= decode.StartTimeUtc);
        // Phases are placed from the engine's own clock: allow a little slack against the request span's.
        var slack = TimeSpan.FromMilliseconds(50);
        Assert.All(children, c => Assert.True(c.StartTimeUtc >= root.StartTimeUtc - slack && c.StartTimeUtc + c.Duration <= root.StartTimeUtc + root.Duration + slack,
            $"{c.DisplayName} {c.StartTimeUtc:O} + {c.Duration} is outside {root.StartTimeUtc:O} + {root.Duration}"));
    }

    [Fact]
    public async Task Deeply_nested_json_is_a_400_not_a_crash()
    {
        var deep = new string('[', 100_000) + new string(']', 100_000);
        var (status, body, _) = await server.PostAsync("/v1/chat/completions", """{"model":"llama-tiny","messages":""" + deep + "}");
        Assert.Equal(400, status);
        Assert.Equal("invalid_json", (string?)body!["error"]!["code"]);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task Without_an_allow_list_no_cross_origin_access_is_granted()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.Add("Origin", "https://evil.example");
        var response = await server.Http.SendAsync(request);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }
}
