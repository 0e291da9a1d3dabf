using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Moxing.Server.Hosting;
using Moxing.Server.Models;
using Moxing.Server.Observability;

namespace Moxing.Server.Tests.Observability;

/// The server's OpenTelemetry instruments over real HTTP: a MeterListener on the server's meter sees the values /metrics reports.
public sealed class OtelMetricsHttpTests
{
    private sealed record Seen(string Instrument, double Value, Dictionary<string, object?> Attributes);

    private static StringContent Chat(bool stream = false) => new(
        $$"""{"model":"llama-tiny","messages":[{"role":"user","content":"Hello there"}],"max_tokens":5,"temperature":0,"stream":{{(stream ? "true" : "false")}}}""",
        Encoding.UTF8, "application/json");

    [Fact]
    public async Task Instruments_named_by_the_genai_conventions_carry_the_values_of_the_prometheus_metrics()
    {
        await using var server = await MoxingServer.StartAsync(new ServerOptions
        {
            Host = "127.0.0.1",
            Port = 0,
            ConsoleLogging = false,
            Models = [ServerFixture.ModelPath(ServerFixture.Llama)],
        }, Engines.ContinuousBatching);
        var measurements = new ConcurrentQueue<Seen>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Servers of other tests share the meter's name, not the meter.
            if (instrument.Meter == server.Metrics.Meter) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => measurements.Enqueue(new(i.Name, v, new(tags.ToArray()))));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => measurements.Enqueue(new(i.Name, v, new(tags.ToArray()))));
        listener.Start();

        using var http = new HttpClient { BaseAddress = server.Address };
        var whole = await http.PostAsync("/v1/chat/completions", Chat());
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        var usage = JsonNode.Parse(await whole.Content.ReadAsStringAsync())!["usage"]!;
        var streamed = await http.PostAsync("/v1/chat/completions", Chat(stream: true));
        Assert.EndsWith("data: [DONE]\n\n", await streamed.Content.ReadAsStringAsync());
        // A request is counted when the server's pipeline ends, which may be just after the client has the response.
        var wait = Stopwatch.StartNew();
        while (server.Metrics.HttpRequests.Value("/v1/chat/completions", "POST", "200") < 2 && wait.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(10);
        listener.RecordObservableInstruments();
        var scrape = await http.GetStringAsync("/metrics");
        var seen = measurements.ToList();

        var model = new KeyValuePair<string, object?>("gen_ai.request.model", ServerFixture.Llama);
        List<Seen> Of(string instrument, params KeyValuePair<string, object?>[] attributes) =>
            [.. seen.Where(s => s.Instrument == instrument && attributes.All(a => s.Attributes.TryGetValue(a.Key, out var v) && Equals(v, a.Value)))];
        // Histograms: every observation is recorded once, so count and sum match /metrics.
        foreach (var (instrument, family) in new[]
                 {
                     ("gen_ai.server.time_to_first_token", "moxing_time_to_first_token_seconds"),
                     ("gen_ai.server.request.duration", "moxing_e2e_request_latency_seconds"),
                     ("gen_ai.server.time_per_output_token", "moxing_inter_token_latency_seconds"),
                     ("moxing.request.queue_time", "moxing_request_queue_time_seconds"),
                     ("moxing.request.decode_time", "moxing_request_decode_time_seconds"),
                     ("moxing.batch.size", "moxing_batch_size"),
                 })
        {
            var values = Of(instrument, model);
            Assert.True(values.Count > 0, instrument);
            Assert.Equal(MetricsText.Sample(scrape, family + "_count", """{model_name="llama-tiny"}"""), values.Count);
            Assert.Equal(MetricsText.Sample(scrape, family + "_sum", """{model_name="llama-tiny"}"""), values.Sum(v => v.Value), 9);
        }
        var prompt = (int)usage["prompt_tokens"]!;
        var completion = (int)usage["completion_tokens"]!;
        Assert.Equal([prompt, prompt], Of("gen_ai.client.token.usage", model, new("gen_ai.token.type", "input")).Select(v => v.Value));
        Assert.Equal(2 * completion, Of("gen_ai.client.token.usage", model, new("gen_ai.token.type", "output")).Sum(v => v.Value));
        Assert.Equal(2 * (completion - 1), Of("gen_ai.server.time_per_output_token", model).Count);

        // Counters and gauges are read from the same bookkeeping when collected.
        Assert.Equal(2, Assert.Single(Of("moxing.http.requests", new("http.route", "/v1/chat/completions"), new("http.response.status_code", 200))).Value);
        Assert.Equal(2 * completion, Assert.Single(Of("moxing.generation_tokens", model)).Value);
        Assert.Equal(MetricsText.Sample(scrape, "moxing_prefix_cache_hits_total", """{model_name="llama-tiny"}"""),
            Assert.Single(Of("moxing.prefix_cache.hits", model)).Value);
        Assert.Equal(2, Of("moxing.request.success", model).Sum(v => v.Value));
        Assert.Equal(1, Assert.Single(Of("moxing.models.resident")).Value);
        Assert.Equal(MetricsText.Sample(scrape, "moxing_kv_cache_blocks", """{model_name="llama-tiny",state="total"}"""),
            Assert.Single(Of("moxing.kv_cache.blocks", model, new("state", "total"))).Value);
        Assert.Equal(0, Assert.Single(Of("moxing.requests.running", model)).Value);
        Assert.True(Assert.Single(Of("process.memory.usage")).Value > 0);
        Assert.True(Assert.Single(Of("moxing.model.memory", model)).Value > 0);
    }
}
