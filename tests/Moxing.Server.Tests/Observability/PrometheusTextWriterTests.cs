using System.Diagnostics.Metrics;
using Moxing.Server.Observability;

namespace Moxing.Server.Tests.Observability;

public sealed class PrometheusTextWriterTests
{
    [Fact]
    public void Label_values_are_escaped_and_numbers_use_prometheus_spelling()
    {
        Assert.Equal("""{model_name="a\"b\\c\nd",le="0.5"}""",
            PrometheusTextWriter.WithLabel(PrometheusTextWriter.Labels(["model_name"], ["a\"b\\c\nd"]), "le", "0.5"));
        Assert.Equal("", PrometheusTextWriter.Labels([], []));
        Assert.Equal("""{le="+Inf"}""", PrometheusTextWriter.WithLabel("", "le", "+Inf"));
        Assert.Equal("+Inf", PrometheusTextWriter.Format(double.PositiveInfinity));
        Assert.Equal("NaN", PrometheusTextWriter.Format(double.NaN));
        Assert.Equal("0.001", PrometheusTextWriter.Format(0.001));
        Assert.Equal("12345678901", PrometheusTextWriter.Format(12345678901));
        Assert.Throws<ArgumentException>(() => PrometheusTextWriter.Labels(["a", "b"], ["x"]));
    }

    [Fact]
    public void A_histogram_writes_cumulative_buckets_sum_and_count()
    {
        using var meter = new Meter("test.histogram");
        var h = new HistogramFamily("t_seconds", "Test.", [0.1, 1], meter.CreateHistogram<double>("t"), ["model_name"]);
        var s = h.Series("m");
        foreach (var v in (double[])[0.05, 0.1, 0.5, 7]) s.Observe(v);
        var text = new StringWriter();
        h.Write(new PrometheusTextWriter(text));
        Assert.Equal("""
            # HELP t_seconds Test.
            # TYPE t_seconds histogram
            t_seconds_bucket{model_name="m",le="0.1"} 2
            t_seconds_bucket{model_name="m",le="1"} 3
            t_seconds_bucket{model_name="m",le="+Inf"} 4
            t_seconds_sum{model_name="m"} 7.65
            t_seconds_count{model_name="m"} 4

            """.Replace("\r\n", "\n"), text.ToString());
        Assert.Throws<ArgumentException>(() => new HistogramFamily("bad", "Bad.", [1, 1], meter.CreateHistogram<double>("bad"), []));
    }

    [Fact]
    public void Counters_add_per_label_set_concurrently()
    {
        using var meter = new Meter("test.counter");
        var c = new CounterFamily(meter, "t_total", "t", "{request}", "Test.", "model_name", "finished_reason");
        Parallel.For(0, 1000, i => c.Add(2, "m", i % 2 == 0 ? "stop" : "length"));
        Assert.Equal(1000, c.Value("m", "stop"));
        Assert.Equal(1000, c.Value("m", "length"));
        Assert.Equal(0, c.Value("m", "abort"));
        Assert.Throws<ArgumentOutOfRangeException>(() => c.Add(-1, "m", "stop"));
        var text = new StringWriter();
        c.Write(new PrometheusTextWriter(text));
        Assert.Contains("t_total{model_name=\"m\",finished_reason=\"stop\"} 1000\n", text.ToString());
    }

    [Fact]
    public void A_schedulers_preemptions_are_counted_under_its_model()
    {
        using var metrics = new ServerMetrics(() => []);
        var observer = metrics.StepObserver("m");
        observer.Preempted();
        observer.Preempted();
        metrics.StepObserver("other").StepCompleted(1, 1);
        var text = new StringWriter();
        metrics.Write(text);
        Assert.Contains("# TYPE moxing_num_preemptions_total counter\n", text.ToString());
        Assert.Equal(2, MetricsText.Sample(text.ToString(), "moxing_num_preemptions_total", """{model_name="m"}"""));
        Assert.Equal(0, metrics.Preemptions.Value("other"));
    }

    [Fact]
    public void Instruments_see_what_the_families_count_with_labels_as_semantic_convention_attributes()
    {
        using var meter = new Meter("test.instruments");
        var c = new CounterFamily(meter, "t_total", "t.requests", "{request}", "Test.", "handler", "method", "status");
        var h = new HistogramFamily("t_seconds", "Test.", [1], meter.CreateHistogram<double>("t.duration"), ["model_name"],
            new KeyValuePair<string, object?>("gen_ai.token.type", "input"));
        var g = new GaugeFamily(meter, "t_blocks", "t.blocks", "{block}", "Test.", ["model_name", "state"], () => [new(["m", "used"], 3)]);
        var seen = new List<(string Instrument, double Value, Dictionary<string, object?> Attributes)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == meter) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => seen.Add((i.Name, v, new(tags.ToArray()))));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => seen.Add((i.Name, v, new(tags.ToArray()))));
        listener.Start();

        c.Add(2, "/v1/chat/completions", "POST", "200");
        h.Series("m").Observe(0.25);
        listener.RecordObservableInstruments();

        var counted = Assert.Single(seen, s => s.Instrument == "t.requests");
        Assert.Equal(2, counted.Value);
        Assert.Equal(new Dictionary<string, object?> { ["http.route"] = "/v1/chat/completions", ["http.request.method"] = "POST", ["http.response.status_code"] = 200 },
            counted.Attributes);
        var observed = Assert.Single(seen, s => s.Instrument == "t.duration");
        Assert.Equal(0.25, observed.Value);
        Assert.Equal(new Dictionary<string, object?> { ["gen_ai.request.model"] = "m", ["gen_ai.token.type"] = "input" }, observed.Attributes);
        var gauge = Assert.Single(seen, s => s.Instrument == "t.blocks");
        Assert.Equal((3.0, "used"), (gauge.Value, gauge.Attributes["state"]));
        var text = new StringWriter();
        g.Write(new PrometheusTextWriter(text));
        Assert.EndsWith("t_blocks{model_name=\"m\",state=\"used\"} 3\n", text.ToString());
    }

    [Fact]
    public void Vllm_buckets_are_kept()
    {
        Assert.Equal(22, ServerMetrics.TimeToFirstTokenBuckets.Length);
        Assert.Equal(2560.0, ServerMetrics.TimeToFirstTokenBuckets[^1]);
        Assert.Equal(19, ServerMetrics.InterTokenBuckets.Length);
        Assert.Equal(7680.0, ServerMetrics.RequestLatencyBuckets[^1]);
        Assert.Equal([1, 2, 5, 10, 20, 50], ServerMetrics.TokenCountBuckets[..6]);
    }
}
