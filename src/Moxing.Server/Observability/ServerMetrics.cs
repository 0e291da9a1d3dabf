using System.Diagnostics.Metrics;
using Moxing.Inference.Scheduling;
using Moxing.Server.Models;

namespace Moxing.Server.Observability;

/// <summary>
/// The server's metrics: for Prometheus named <c>moxing_*</c> with the meaning (and histogram buckets) of vLLM's <c>vllm:*</c>
/// metrics so existing dashboards map one to one, and the same values as OpenTelemetry instruments on <see cref="Meter"/>, named
/// as the GenAI semantic conventions say where they name one (docs/OBSERVABILITY.md lists both mappings). Counters and gauges
/// are read by observable instruments; each histogram observation is recorded on both sides by one call.
/// </summary>
public sealed class ServerMetrics : IDisposable
{
    /// <summary>vLLM's buckets for request latencies (e2e, queue, prefill, decode, inference), seconds.</summary>
    public static readonly double[] RequestLatencyBuckets =
        [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0];

    /// <summary>vLLM's buckets for time to first token, seconds.</summary>
    public static readonly double[] TimeToFirstTokenBuckets =
        [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0];

    /// <summary>vLLM's buckets for inter-token latency, seconds.</summary>
    public static readonly double[] InterTokenBuckets =
        [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0];

    /// <summary>vLLM's buckets for tokens per engine step.</summary>
    public static readonly double[] IterationTokenBuckets = [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384];

    /// <summary>Buckets for sequences per engine step.</summary>
    public static readonly double[] BatchSizeBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256];

    /// <summary>vLLM's 1-2-5 buckets for per-request token counts (up to a context of a million).</summary>
    public static readonly double[] TokenCountBuckets = OneTwoFive(1_000_000);

    /// <summary>The name of the meter every instrument is on (OpenTelemetry's AddMeter, or a MeterListener).</summary>
    public const string MeterName = "Moxing.Server";

    private const string Model = "model_name";
    private const string Seconds = "s";
    private const string Tokens = "{token}";
    private const string Requests = "{request}";
    private const string Bytes = "By";

    private readonly Func<IReadOnlyList<ResidentModel>> _resident;
    private readonly GaugeFamily[] _gauges;
    private readonly CounterFamily[] _counters;
    private readonly HistogramFamily[] _histograms;

    /// <summary>
    /// Metrics of a server whose resident models <paramref name="resident"/> lists (read for the gauges whenever metrics are
    /// collected), on a meter of their own.
    /// </summary>
    public ServerMetrics(Func<IReadOnlyList<ResidentModel>> resident)
    {
        _resident = resident;
        Meter = new Meter(MeterName, typeof(ServerMetrics).Assembly.GetName().Version?.ToString());
        RequestSuccess = Counter("moxing_request_success_total", "moxing.request.success", Requests, "Count of finished requests by finish reason.", Model, "finished_reason");
        HttpRequests = Counter("moxing_http_requests_total", "moxing.http.requests", Requests, "HTTP requests by route, method and status code.", "handler", "method", "status");
        PromptTokens = Counter("moxing_prompt_tokens_total", "moxing.prompt_tokens", Tokens, "Number of prefill (prompt) tokens processed.", Model);
        GenerationTokens = Counter("moxing_generation_tokens_total", "moxing.generation_tokens", Tokens, "Number of generation tokens processed.", Model);
        PrefixCacheQueries = Counter("moxing_prefix_cache_queries_total", "moxing.prefix_cache.queries", Tokens, "Prefix cache queries, in prompt tokens.", Model);
        PrefixCacheHits = Counter("moxing_prefix_cache_hits_total", "moxing.prefix_cache.hits", Tokens, "Prefix cache hits, in prompt tokens.", Model);
        Preemptions = Counter("moxing_num_preemptions_total", "moxing.preemptions", Requests, "Cumulative number of preemption from the engine.", Model);
        _counters = [RequestSuccess, HttpRequests, PromptTokens, GenerationTokens, PrefixCacheQueries, PrefixCacheHits, Preemptions];

        E2eLatency = Histogram("moxing_e2e_request_latency_seconds", "gen_ai.server.request.duration", Seconds, "Histogram of e2e request latency in seconds.", RequestLatencyBuckets);
        TimeToFirstToken = Histogram("moxing_time_to_first_token_seconds", "gen_ai.server.time_to_first_token", Seconds, "Histogram of time to first token in seconds.", TimeToFirstTokenBuckets);
        InterTokenLatency = Histogram("moxing_inter_token_latency_seconds", "gen_ai.server.time_per_output_token", Seconds, "Histogram of inter-token latency in seconds.", InterTokenBuckets);
        QueueTime = Histogram("moxing_request_queue_time_seconds", "moxing.request.queue_time", Seconds, "Histogram of time spent in WAITING phase for request.", RequestLatencyBuckets);
        PrefillTime = Histogram("moxing_request_prefill_time_seconds", "moxing.request.prefill_time", Seconds, "Histogram of time spent in PREFILL phase for request.", RequestLatencyBuckets);
        DecodeTime = Histogram("moxing_request_decode_time_seconds", "moxing.request.decode_time", Seconds, "Histogram of time spent in DECODE phase for request.", RequestLatencyBuckets);
        InferenceTime = Histogram("moxing_request_inference_time_seconds", "moxing.request.inference_time", Seconds, "Histogram of time spent in RUNNING phase for request.", RequestLatencyBuckets);
        // OpenTelemetry's GenAI conventions keep input and output token counts in one histogram, told apart by gen_ai.token.type.
        var tokenUsage = Instrument("gen_ai.client.token.usage", Tokens, "Number of input and output tokens per request.", TokenCountBuckets);
        RequestPromptTokens = new HistogramFamily("moxing_request_prompt_tokens", "Number of prefill tokens processed per request.", TokenCountBuckets, tokenUsage, [Model],
            new KeyValuePair<string, object?>("gen_ai.token.type", "input"));
        RequestGenerationTokens = new HistogramFamily("moxing_request_generation_tokens", "Number of generation tokens processed per request.", TokenCountBuckets, tokenUsage, [Model],
            new KeyValuePair<string, object?>("gen_ai.token.type", "output"));
        IterationTokens = Histogram("moxing_iteration_tokens_total", "moxing.iteration.tokens", Tokens, "Histogram of number of tokens per engine step.", IterationTokenBuckets);
        BatchSize = Histogram("moxing_batch_size", "moxing.batch.size", "{sequence}", "Histogram of sequences advanced together per engine step.", BatchSizeBuckets);
        _histograms = [E2eLatency, TimeToFirstToken, InterTokenLatency, QueueTime, PrefillTime, DecodeTime, InferenceTime, RequestPromptTokens, RequestGenerationTokens,
            IterationTokens, BatchSize];

        _gauges =
        [
            Gauge("moxing_num_requests_running", "moxing.requests.running", Requests, "Number of requests in model execution batches.", [Model],
                () => Schedulers().Select(s => new GaugeSample([s.Model], s.Counters.Running))),
            Gauge("moxing_num_requests_waiting", "moxing.requests.waiting", Requests, "Number of requests waiting to be processed.", [Model],
                () => Schedulers().Select(s => new GaugeSample([s.Model], s.Counters.Waiting))),
            Gauge("moxing_kv_cache_usage_perc", "moxing.kv_cache.usage", "1", "KV-cache usage. 1 means 100 percent usage.", [Model],
                () => Schedulers().Select(s => new GaugeSample([s.Model], s.Counters.KvBlocksTotal == 0 ? 0 : (double)s.Counters.KvBlocksUsed / s.Counters.KvBlocksTotal))),
            Gauge("moxing_kv_cache_blocks", "moxing.kv_cache.blocks", "{block}", "KV-cache blocks by state: used by running requests, cached prefixes only, total.",
                [Model, "state"], () => Schedulers().SelectMany(s => (GaugeSample[])
                [
                    new([s.Model, "used"], s.Counters.KvBlocksUsed), new([s.Model, "cached"], s.Counters.KvBlocksCached), new([s.Model, "total"], s.Counters.KvBlocksTotal),
                ])),
            Gauge("moxing_prefix_cache_state_snapshots", "moxing.prefix_cache.state_snapshots", "{snapshot}",
                "Recurrent-state snapshots the prefix cache holds (models with recurrent layers).", [Model],
                () => Schedulers().Select(s => new GaugeSample([s.Model], s.Counters.StateSnapshots))),
            Gauge("moxing_models_resident", "moxing.models.resident", "{model}", "Models loaded in memory.", [], () => [new([], _resident().Count)]),
            Gauge("moxing_model_memory_bytes", "moxing.model.memory", Bytes, "Bytes a resident model holds: weights plus KV-cache budget.", [Model],
                () => _resident().Select(r => new GaugeSample([r.Name], r.MemoryBytes))),
            Gauge("process_resident_memory_bytes", "process.memory.usage", Bytes, "Resident memory size in bytes.", [], () => [new([], Environment.WorkingSet)]),
            Gauge("moxing_managed_memory_bytes", "moxing.managed_memory", Bytes, "Bytes of the managed (GC) heap.", [], () => [new([], GC.GetTotalMemory(false))]),
        ];
    }

    /// <summary>The meter of this server's instruments, named <see cref="MeterName"/>; disposed with the metrics.</summary>
    public Meter Meter { get; }

    /// <summary>Finished generations by model and finished_reason (stop, length, abort, error).</summary>
    public CounterFamily RequestSuccess { get; }

    /// <summary>HTTP requests by route, method and status.</summary>
    public CounterFamily HttpRequests { get; }

    /// <summary>Prompt tokens of finished generations.</summary>
    public CounterFamily PromptTokens { get; }

    /// <summary>Generated tokens.</summary>
    public CounterFamily GenerationTokens { get; }

    /// <summary>Prompt tokens looked up in the prefix cache.</summary>
    public CounterFamily PrefixCacheQueries { get; }

    /// <summary>Prompt tokens found in the prefix cache.</summary>
    public CounterFamily PrefixCacheHits { get; }

    /// <summary>Running sequences that gave their KV blocks back to be recomputed later.</summary>
    public CounterFamily Preemptions { get; }

    /// <summary>Request arrival to end of generation.</summary>
    public HistogramFamily E2eLatency { get; }

    /// <summary>Request arrival to first generated token.</summary>
    public HistogramFamily TimeToFirstToken { get; }

    /// <summary>Time between consecutive generated tokens.</summary>
    public HistogramFamily InterTokenLatency { get; }

    /// <summary>Time waiting in the scheduler's queue.</summary>
    public HistogramFamily QueueTime { get; }

    /// <summary>Time from admission to first token.</summary>
    public HistogramFamily PrefillTime { get; }

    /// <summary>Time from first token to the end.</summary>
    public HistogramFamily DecodeTime { get; }

    /// <summary>Time from admission to the end.</summary>
    public HistogramFamily InferenceTime { get; }

    /// <summary>Prompt tokens per request.</summary>
    public HistogramFamily RequestPromptTokens { get; }

    /// <summary>Generated tokens per request.</summary>
    public HistogramFamily RequestGenerationTokens { get; }

    /// <summary>Tokens per scheduler step.</summary>
    public HistogramFamily IterationTokens { get; }

    /// <summary>Sequences per scheduler step.</summary>
    public HistogramFamily BatchSize { get; }

    /// <summary>An observer for the scheduler of <paramref name="model"/> that fills the per-step histograms and counts its preemptions.</summary>
    public IStepObserver StepObserver(string model) => new StepHistograms(IterationTokens.Series(model), BatchSize.Series(model), () => Preemptions.Add(1, model));

    internal void GenerationEnded(string model, string reason, int prompt, int cached, int completion, TimeSpan e2e, TimeSpan? queue, TimeSpan? prefill,
        TimeSpan? decode)
    {
        RequestSuccess.Add(1, model, reason);
        PromptTokens.Add(prompt, model);
        GenerationTokens.Add(completion, model);
        PrefixCacheQueries.Add(prompt, model);
        PrefixCacheHits.Add(cached, model);
        E2eLatency.Series(model).Observe(e2e.TotalSeconds);
        RequestPromptTokens.Series(model).Observe(prompt);
        RequestGenerationTokens.Series(model).Observe(completion);
        if (queue is { } q) QueueTime.Series(model).Observe(q.TotalSeconds);
        if (prefill is { } p) PrefillTime.Series(model).Observe(p.TotalSeconds);
        if (decode is { } d) DecodeTime.Series(model).Observe(d.TotalSeconds);
        if (prefill is { } pp && decode is { } dd) InferenceTime.Series(model).Observe((pp + dd).TotalSeconds);
    }

    /// <summary>Writes every metric in Prometheus's format: gauges read now, then the counters and histograms.</summary>
    public void Write(TextWriter output)
    {
        var w = new PrometheusTextWriter(output);
        foreach (var gauge in _gauges) gauge.Write(w);
        foreach (var counter in _counters) counter.Write(w);
        foreach (var histogram in _histograms) histogram.Write(w);
    }

    /// <inheritdoc />
    public void Dispose() => Meter.Dispose();

    private IEnumerable<(string Model, SchedulerCounters Counters)> Schedulers() =>
        _resident().Where(r => r.Engine is ContinuousBatchScheduler).Select(r => (r.Name, ((ContinuousBatchScheduler)r.Engine!).Counters));

    private CounterFamily Counter(string name, string instrument, string unit, string help, params string[] labelNames) =>
        new(Meter, name, instrument, unit, help, labelNames);

    private HistogramFamily Histogram(string name, string instrument, string unit, string help, double[] buckets) =>
        new(name, help, buckets, Instrument(instrument, unit, help, buckets), [Model]);

    // The Prometheus buckets are the instrument's advice, so an OpenTelemetry backend aggregates into the same buckets.
    private Histogram<double> Instrument(string name, string unit, string help, double[] buckets) =>
        Meter.CreateHistogram(name, unit, help, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = buckets });

    private GaugeFamily Gauge(string name, string instrument, string unit, string help, string[] labelNames, Func<IEnumerable<GaugeSample>> read) =>
        new(Meter, name, instrument, unit, help, labelNames, read);

    private static double[] OneTwoFive(long max)
    {
        var buckets = new List<double>();
        for (long b = 1; b <= max; b *= 10)
            foreach (var m in (int[])[1, 2, 5])
                if (b * m <= max) buckets.Add(b * m);
        return [.. buckets];
    }

    private sealed class StepHistograms(HistogramSeries tokenSeries, HistogramSeries sequenceSeries, Action preempted) : IStepObserver
    {
        public void StepCompleted(int sequences, int tokens)
        {
            tokenSeries.Observe(tokens);
            sequenceSeries.Observe(sequences);
        }

        public void Preempted() => preempted();
    }
}
