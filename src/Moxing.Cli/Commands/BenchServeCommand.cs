using System.Globalization;
using System.Text;
using System.Text.Json;
using Moxing.Cli.Benchmarks.Serving;
using Moxing.Core;
using Moxing.Server.Hosting;

namespace Moxing.Cli.Commands;

/// <summary>`moxing bench-serve URL`: N concurrent streaming clients against any OpenAI-compatible server.</summary>
public sealed class BenchServeCommand : ICommand
{
    private const string Sentence = "The quick brown fox jumps over the lazy dog while the band plays on. ";

    /// <inheritdoc />
    public string Name => "bench-serve";

    /// <inheritdoc />
    public string Summary => "load-test an OpenAI-compatible server: throughput, TTFT and inter-token latency per concurrency";

    /// <inheritdoc />
    public string Usage => """
        usage: moxing bench-serve URL [--model NAME] [-c 1,4,16,64] [--requests N] [--duration DUR] [-n 64] [--prompt-words 100]
                                  [--limit-s 300] [--max-rss-growth PCT] [--chat] [--ignore-eos] [--api-key KEY] [--allow-remote] [--json]
          URL             the server's base URL, e.g. http://127.0.0.1:8080 (requests go to URL/v1/completions); loopback only
                          unless --allow-remote
          --chat          send chat requests (URL/v1/chat/completions, the model's template) instead of raw prompts
          --ignore-eos    ask for exactly -n tokens per request (ignore_eos, understood by Moxing, vLLM and llama-server)
          --model         the model name to send (default: "default")
          -c, --clients   concurrency levels, comma separated; each level runs its own batch of requests
          --requests      streaming requests per level (default: 4 × clients, at least 8; with --duration: at most this
                          many, default 100 per client)
          --duration      run each level for this long (e.g. 120s, 2m): clients send requests back to back until then
          -n              max_tokens per request
          --prompt-words  prompt length in words (each request's prompt also starts with its own number)
          --limit-s       time bound per level in seconds; unfinished requests are cancelled and the level marked
          --max-rss-growth  fail when the server's resident memory (its /metrics process_resident_memory_bytes) grew by more
                          than PCT percent from after the warm-up (one request per client of the largest level, not
                          counted) to after the run
          --api-key       sent as Authorization: Bearer
          --json          JSON output
        Every level reports its requests by HTTP status; a 429 (a limit or a full queue) is an answer, anything else that
        does not complete is a failure and makes the exit status 1.
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "json", "chat", "ignore-eos", "allow-remote" };

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var url = args.Required(0, "URL");
        var model = args.Option("model") ?? "default";
        var levels = args.IntList("c") ?? args.IntList("clients") ?? [1, 4, 16, 64];
        var requestsOption = args.Int(0, "requests");
        var duration = args.Option("duration") is { } d ? Duration(d) : (TimeSpan?)null;
        var maxTokens = args.Int(64, "n");
        var promptWords = args.Int(100, "prompt-words");
        var limit = args.Int(300, "limit-s");
        var maxGrowth = args.Option("max-rss-growth") is { } g ? Percent(g) : (double?)null;
        var apiKey = args.Option("api-key");
        var json = args.Flag("json");
        var chat = args.Flag("chat");
        var ignoreEos = args.Flag("ignore-eos");
        var allowRemote = args.Flag("allow-remote");
        args.RejectUnknown();
        if (!Uri.TryCreate(url.TrimEnd('/') + "/", UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https"))
            throw new UsageException($"'{url}' is not an http(s) URL");
        if (!allowRemote && !baseUrl.IsLoopback)
            throw new UsageException($"{baseUrl.Host} is not a loopback address; load-testing another machine needs --allow-remote");
        if (levels.Length == 0 || levels.Any(c => c < 1)) throw new UsageException("-c: concurrency levels must be at least 1");
        if (maxTokens < 1 || promptWords < 1 || limit < 1 || requestsOption < 0)
            throw new UsageException("-n, --prompt-words and --limit-s must be positive, --requests not negative");
        if (duration is { } span && span >= TimeSpan.FromSeconds(limit))
            throw new UsageException($"--duration ({span.TotalSeconds:F0} s) must be shorter than --limit-s ({limit} s), which bounds each level");

        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var client = new StreamingCompletionClient(http, baseUrl, chat, model, apiKey, ignoreEos);
        var load = new ServingLoad(client, maxTokens, Prompt(promptWords));
        // Not counted: one request per client of the largest level, all at once, so the model is loaded and the server has reached
        // its working size (connections, threads, KV blocks) before any level is timed or its memory read.
        Task.WhenAll(Enumerable.Range(0, levels.Max()).Select(i => client.SendAsync($"Warm-up {i}. {Prompt(promptWords)}", maxTokens, context.Cancellation)))
            .GetAwaiter().GetResult();
        var rssBefore = ServerMemory.ReadAsync(http, baseUrl, apiKey, context.Cancellation).GetAwaiter().GetResult();
        var results = new List<LoadLevel>();
        foreach (var clients in levels)
        {
            var requests = requestsOption > 0 ? requestsOption : duration is null ? Math.Max(8, 4 * clients) : 100 * clients;
            results.Add(load.RunAsync(clients, requests, duration, TimeSpan.FromSeconds(limit), context.Cancellation).GetAwaiter().GetResult());
            if (!json) WriteRow(context.Out, results[^1], results.Count == 1);
        }
        var rssAfter = ServerMemory.ReadAsync(http, baseUrl, apiKey, context.Cancellation).GetAwaiter().GetResult();
        var growth = rssBefore is > 0 && rssAfter is { } after ? (after - rssBefore.Value) * 100.0 / rssBefore.Value : (double?)null;
        if (json) JsonOutput.Write(context.Out, w => WriteJson(w, results, maxTokens, promptWords, duration, rssBefore, rssAfter, growth), indented: true);
        else WriteSummary(context.Out, results, rssBefore, rssAfter, growth);
        var failures = results.SelectMany(l => l.Failures).ToList();
        if (failures.Count > 0) context.Error.WriteLine($"{failures.Count} requests failed; first: {failures[0].Error}");
        var grewTooMuch = maxGrowth is { } max && growth > max;
        if (grewTooMuch) context.Error.WriteLine($"the server's resident memory grew by {growth:F1}%, more than --max-rss-growth {maxGrowth}%");
        if (maxGrowth != null && growth == null) context.Error.WriteLine("--max-rss-growth: the server reports no process_resident_memory_bytes at /metrics");
        return failures.Count > 0 || grewTooMuch || (maxGrowth != null && growth == null) ? 1 : 0;
    }

    private static TimeSpan Duration(string text)
    {
        try
        {
            var span = ServerSettings.ParseDuration(text, "duration");
            return span > TimeSpan.Zero ? span : throw new UsageException($"--duration must be positive, got '{text}'");
        }
        catch (MoxingException e) when (e is not UsageException)
        {
            throw new UsageException($"--duration: {e.Message}");
        }
    }

    private static double Percent(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) && p >= 0 && double.IsFinite(p)
            ? p : throw new UsageException($"--max-rss-growth: '{text}' is not a percentage");

    private static string Prompt(int words)
    {
        var text = new StringBuilder();
        var sentenceWords = Sentence.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < words; i++) text.Append(sentenceWords[i % sentenceWords.Length]).Append(' ');
        return text.ToString().TrimEnd();
    }

    private static void WriteRow(TextWriter output, LoadLevel l, bool header)
    {
        var c = CultureInfo.InvariantCulture;
        if (header)
        {
            output.WriteLine("| clients | ok/requests | 429 | 5xx | tokens | wall s | tokens/s | TTFT p50 ms | TTFT p95 ms | ITL p50 ms | ITL p95 ms | latency p95 ms |");
            output.WriteLine("| ------: | ----------: | --: | --: | -----: | -----: | -------: | ----------: | ----------: | ---------: | ---------: | -------------: |");
        }
        output.WriteLine(string.Format(c, "| {0,7} | {1,11} | {2,3} | {3,3} | {4,6} | {5,6:F1} | {6,8:F1} | {7,11:F0} | {8,11:F0} | {9,10:F1} | {10,10:F1} | {11,14:F0} |{12}",
            l.Clients, $"{l.Succeeded}/{l.Requests.Count}", l.Refused, l.ServerErrors, l.CompletionTokens, l.Wall.TotalSeconds, l.AggregateTokensPerSecond,
            Percentiles.Of(l.TimeToFirstTokenMs, 50), Percentiles.Of(l.TimeToFirstTokenMs, 95),
            Percentiles.Of(l.InterTokenMs, 50), Percentiles.Of(l.InterTokenMs, 95), Percentiles.Of(l.LatencyMs, 95), l.TimedOut ? " time limit hit" : ""));
    }

    private static void WriteSummary(TextWriter output, List<LoadLevel> levels, long? rssBefore, long? rssAfter, double? growth)
    {
        foreach (var l in levels)
            output.WriteLine($"{l.Clients} clients: " + string.Join(", ", l.StatusCounts.Select(s => $"{(s.Status == 0 ? "no response" : s.Status.ToString(CultureInfo.InvariantCulture))}: {s.Count}")));
        if (rssBefore is { } before && rssAfter is { } after)
            output.WriteLine(string.Format(CultureInfo.InvariantCulture, "server resident memory: {0} after warm-up, {1} after the run ({2:+0.0;-0.0}%)",
                HumanUnits.Bytes(before), HumanUnits.Bytes(after), growth));
    }

    private static void WriteJson(Utf8JsonWriter w, List<LoadLevel> levels, int maxTokens, int promptWords, TimeSpan? duration,
        long? rssBefore, long? rssAfter, double? growth)
    {
        w.WriteStartObject();
        w.WriteNumber("max_tokens", maxTokens);
        w.WriteNumber("prompt_words", promptWords);
        if (duration is { } d) w.WriteNumber("duration_s", d.TotalSeconds);
        if (rssBefore is { } before) w.WriteNumber("server_rss_before_bytes", before);
        if (rssAfter is { } after) w.WriteNumber("server_rss_after_bytes", after);
        if (growth is { } g) w.WriteNumber("server_rss_growth_percent", g);
        w.WriteStartArray("levels");
        foreach (var l in levels)
        {
            w.WriteStartObject();
            w.WriteNumber("clients", l.Clients);
            w.WriteNumber("requests", l.Requests.Count);
            w.WriteNumber("succeeded", l.Succeeded);
            w.WriteNumber("refused_429", l.Refused);
            w.WriteNumber("server_errors_5xx", l.ServerErrors);
            w.WriteNumber("failed", l.Failures.Count);
            w.WriteNumber("empty", l.Empty);
            w.WriteStartObject("statuses");
            foreach (var (status, count) in l.StatusCounts) w.WriteNumber(status == 0 ? "none" : status.ToString(CultureInfo.InvariantCulture), count);
            w.WriteEndObject();
            w.WriteNumber("completion_tokens", l.CompletionTokens);
            w.WriteNumber("wall_s", l.Wall.TotalSeconds);
            w.WriteNumber("tokens_per_second", l.AggregateTokensPerSecond);
            w.WriteBoolean("timed_out", l.TimedOut);
            foreach (var (name, values) in new[] { ("ttft_ms", l.TimeToFirstTokenMs), ("itl_ms", l.InterTokenMs), ("latency_ms", l.LatencyMs) })
            {
                w.WriteStartObject(name);
                foreach (var p in new[] { 50, 95 })
                {
                    var v = Percentiles.Of(values, p);
                    if (double.IsNaN(v)) w.WriteNull($"p{p}");
                    else w.WriteNumber($"p{p}", v);
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
