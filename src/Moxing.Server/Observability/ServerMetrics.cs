using Moxing.Inference.Scheduling;
using Moxing.Server.Models;

namespace Moxing.Server.Observability;

/// <summary>
/// The server's Prometheus metrics, named <c>moxing_*</c> with the meaning (and histogram buckets) of vLLM's <c>vllm:*</c>
/// metrics so existing dashboards map one to one (docs/OBSERVABILITY.md lists the mapping).
/// </summary>
public sealed class ServerMetrics
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

    private const string Model = "model_name";

    /// <summary>Finished generations by model and finished_reason (stop, length, abort, error).</summary>
    public CounterFamily RequestSuccess { get; } = new("moxing_request_success_total", "Count of finished requests by finish reason.", Model, "finished_reason");

    /// <summary>HTTP requests by route, method and status.</summary>
    public CounterFamily HttpRequests { get; } = new("moxing_http_requests_total", "HTTP requests by route, method and status code.", "handler", "method", "status");

    /// <summary>Prompt tokens of finished generations.</summary>
    public CounterFamily PromptTokens { get; } = new("moxing_prompt_tokens_total", "Number of prefill (prompt) tokens processed.", Model);

    /// <summary>Generated tokens.</summary>
    public CounterFamily GenerationTokens { get; } = new("moxing_generation_tokens_total", "Number of generation tokens processed.", Model);

    /// <summary>Prompt tokens looked up in the prefix cache.</summary>
    public CounterFamily PrefixCacheQueries { get; } = new("moxing_prefix_cache_queries_total", "Prefix cache queries, in prompt tokens.", Model);

    /// <summary>Prompt tokens found in the prefix cache.</summary>
    public CounterFamily PrefixCacheHits { get; } = new("moxing_prefix_cache_hits_total", "Prefix cache hits, in prompt tokens.", Model);

    /// <summary>Request arrival to end of generation.</summary>
    public HistogramFamily E2eLatency { get; } = new("moxing_e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", RequestLatencyBuckets, Model);

    /// <summary>Request arrival to first generated token.</summary>
    public HistogramFamily TimeToFirstToken { get; } = new("moxing_time_to_first_token_seconds", "Histogram of time to first token in seconds.", TimeToFirstTokenBuckets, Model);

    /// <summary>Time between consecutive generated tokens.</summary>
    public HistogramFamily InterTokenLatency { get; } = new("moxing_inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", InterTokenBuckets, Model);

    /// <summary>Time waiting in the scheduler's queue.</summary>
    public HistogramFamily QueueTime { get; } = new("moxing_request_queue_time_seconds", "Histogram of time spent in WAITING phase for request.", RequestLatencyBuckets, Model);

    /// <summary>Time from admission to first token.</summary>
    public HistogramFamily PrefillTime { get; } = new("moxing_request_prefill_time_seconds", "Histogram of time spent in PREFILL phase for request.", RequestLatencyBuckets, Model);

    /// <summary>Time from first token to the end.</summary>
    public HistogramFamily DecodeTime { get; } = new("moxing_request_decode_time_seconds", "Histogram of time spent in DECODE phase for request.", RequestLatencyBuckets, Model);

    /// <summary>Time from admission to the end.</summary>
    public HistogramFamily InferenceTime { get; } = new("moxing_request_inference_time_seconds", "Histogram of time spent in RUNNING phase for request.", RequestLatencyBuckets, Model);

    /// <summary>Prompt tokens per request.</summary>
    public HistogramFamily RequestPromptTokens { get; } = new("moxing_request_prompt_tokens", "Number of prefill tokens processed per request.", TokenCountBuckets, Model);

    /// <summary>Generated tokens per request.</summary>
    public HistogramFamily RequestGenerationTokens { get; } = new("moxing_request_generation_tokens", "Number of generation tokens processed per request.", TokenCountBuckets, Model);

    /// <summary>Tokens per scheduler step.</summary>
    public HistogramFamily IterationTokens { get; } = new("moxing_iteration_tokens_total", "Histogram of number of tokens per engine step.", IterationTokenBuckets, Model);

    /// <summary>Sequences per scheduler step.</summary>
    public HistogramFamily BatchSize { get; } = new("moxing_batch_size", "Histogram of sequences advanced together per engine step.", BatchSizeBuckets, Model);

    /// <summary>An observer for the scheduler of <paramref name="model"/> that fills the per-step histograms.</summary>
    public IStepObserver StepObserver(string model) => new StepHistograms(IterationTokens.Series(model), BatchSize.Series(model));

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

    /// <summary>Writes every metric: the counters and histograms, then gauges read now from <paramref name="models"/> and the process.</summary>
    public void Write(TextWriter output, ModelManager models)
    {
        var w = new PrometheusTextWriter(output);
        WriteGauges(w, models.Resident());
        foreach (var counter in (CounterFamily[])[RequestSuccess, HttpRequests, PromptTokens, GenerationTokens, PrefixCacheQueries, PrefixCacheHits])
            counter.Write(w);
        foreach (var histogram in (HistogramFamily[])[E2eLatency, TimeToFirstToken, InterTokenLatency, QueueTime, PrefillTime, DecodeTime, InferenceTime,
                     RequestPromptTokens, RequestGenerationTokens, IterationTokens, BatchSize])
            histogram.Write(w);
    }

    private static void WriteGauges(PrometheusTextWriter w, IReadOnlyList<ResidentModel> resident)
    {
        var counters = new (string Labels, SchedulerCounters Counters)[resident.Count];
        var n = 0;
        foreach (var r in resident)
            if (r.Engine is ContinuousBatchScheduler s)
                counters[n++] = (PrometheusTextWriter.Labels([Model], [r.Name]), s.Counters);
        var schedulers = counters.AsSpan(0, n);

        w.Family("moxing_num_requests_running", "gauge", "Number of requests in model execution batches.");
        foreach (var (labels, c) in schedulers) w.Sample("moxing_num_requests_running", labels, c.Running);
        w.Family("moxing_num_requests_waiting", "gauge", "Number of requests waiting to be processed.");
        foreach (var (labels, c) in schedulers) w.Sample("moxing_num_requests_waiting", labels, c.Waiting);
        w.Family("moxing_kv_cache_usage_perc", "gauge", "KV-cache usage. 1 means 100 percent usage.");
        foreach (var (labels, c) in schedulers) w.Sample("moxing_kv_cache_usage_perc", labels, c.KvBlocksTotal == 0 ? 0 : (double)c.KvBlocksUsed / c.KvBlocksTotal);
        w.Family("moxing_kv_cache_blocks", "gauge", "KV-cache blocks by state: used by running requests, cached prefixes only, total.");
        foreach (var (labels, c) in schedulers)
        {
            w.Sample("moxing_kv_cache_blocks", PrometheusTextWriter.WithLabel(labels, "state", "used"), c.KvBlocksUsed);
            w.Sample("moxing_kv_cache_blocks", PrometheusTextWriter.WithLabel(labels, "state", "cached"), c.KvBlocksCached);
            w.Sample("moxing_kv_cache_blocks", PrometheusTextWriter.WithLabel(labels, "state", "total"), c.KvBlocksTotal);
        }
        w.Family("moxing_models_resident", "gauge", "Models loaded in memory.");
        w.Sample("moxing_models_resident", "", resident.Count);
        w.Family("moxing_model_memory_bytes", "gauge", "Bytes a resident model holds: weights plus KV-cache budget.");
        foreach (var r in resident) w.Sample("moxing_model_memory_bytes", PrometheusTextWriter.Labels([Model], [r.Name]), r.MemoryBytes);
        w.Family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        w.Sample("process_resident_memory_bytes", "", Environment.WorkingSet);
        w.Family("moxing_managed_memory_bytes", "gauge", "Bytes of the managed (GC) heap.");
        w.Sample("moxing_managed_memory_bytes", "", GC.GetTotalMemory(false));
    }

    private static double[] OneTwoFive(long max)
    {
        var buckets = new List<double>();
        for (long b = 1; b <= max; b *= 10)
            foreach (var m in (int[])[1, 2, 5])
                if (b * m <= max) buckets.Add(b * m);
        return [.. buckets];
    }

    private sealed class StepHistograms(HistogramSeries tokenSeries, HistogramSeries sequenceSeries) : IStepObserver
    {
        public void StepCompleted(int sequences, int tokens)
        {
            tokenSeries.Observe(tokens);
            sequenceSeries.Observe(sequences);
        }
    }
}
