using System.Globalization;
using System.Text;
using System.Text.Json;
using Moxing.Cli.Benchmarks.Serving;

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
        usage: moxing bench-serve URL [--model NAME] [-c 1,4,16,64] [--requests N] [-n 64] [--prompt-words 100] [--limit-s 300] [--chat] [--ignore-eos] [--api-key KEY] [--json]
          URL             the server's base URL, e.g. http://127.0.0.1:8080 (requests go to URL/v1/completions)
          --chat          send chat requests (URL/v1/chat/completions, the model's template) instead of raw prompts
          --ignore-eos    ask for exactly -n tokens per request (ignore_eos, understood by Moxing, vLLM and llama-server)
          --model         the model name to send (default: "default")
          -c, --clients   concurrency levels, comma separated; each level runs its own batch of requests
          --requests      streaming requests per level (default: 4 × clients, at least 8)
          -n              max_tokens per request
          --prompt-words  prompt length in words (each request's prompt also starts with its own number)
          --limit-s       time bound per level in seconds; unfinished requests are cancelled and the level marked
          --api-key       sent as Authorization: Bearer
          --json          JSON output
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "json", "chat", "ignore-eos" };

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var url = args.Required(0, "URL");
        var model = args.Option("model") ?? "default";
        var levels = args.IntList("c") ?? args.IntList("clients") ?? [1, 4, 16, 64];
        var requestsOption = args.Int(0, "requests");
        var maxTokens = args.Int(64, "n");
        var promptWords = args.Int(100, "prompt-words");
        var limit = args.Int(300, "limit-s");
        var apiKey = args.Option("api-key");
        var json = args.Flag("json");
        var chat = args.Flag("chat");
        var ignoreEos = args.Flag("ignore-eos");
        args.RejectUnknown();
        if (!Uri.TryCreate(url.TrimEnd('/') + "/", UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https"))
            throw new UsageException($"'{url}' is not an http(s) URL");
        if (levels.Length == 0 || levels.Any(c => c < 1)) throw new UsageException("-c: concurrency levels must be at least 1");
        if (maxTokens < 1 || promptWords < 1 || limit < 1 || requestsOption < 0)
            throw new UsageException("-n, --prompt-words and --limit-s must be positive, --requests not negative");

        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var load = new ServingLoad(new StreamingCompletionClient(http, baseUrl, chat, model, apiKey, ignoreEos), maxTokens, Prompt(promptWords));
        var results = new List<LoadLevel>();
        foreach (var clients in levels)
        {
            var requests = requestsOption > 0 ? requestsOption : Math.Max(8, 4 * clients);
            results.Add(load.RunAsync(clients, requests, TimeSpan.FromSeconds(limit), context.Cancellation).GetAwaiter().GetResult());
            if (!json) WriteRow(context.Out, results[^1], results.Count == 1);
        }
        if (json) JsonOutput.Write(context.Out, w => WriteJson(w, results, maxTokens, promptWords), indented: true);
        var failures = results.SelectMany(l => l.Requests).Where(r => !r.Succeeded).ToList();
        if (failures.Count > 0) context.Error.WriteLine($"{failures.Count} requests failed; first: {failures[0].Error}");
        return failures.Count > 0 ? 1 : 0;
    }

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
            output.WriteLine("| clients | ok/requests | tokens | wall s | tokens/s | TTFT p50 ms | TTFT p95 ms | ITL p50 ms | ITL p95 ms |");
            output.WriteLine("| ------: | ----------: | -----: | -----: | -------: | ----------: | ----------: | ---------: | ---------: |");
        }
        output.WriteLine(string.Format(c, "| {0,7} | {1,11} | {2,6} | {3,6:F1} | {4,8:F1} | {5,11:F0} | {6,11:F0} | {7,10:F1} | {8,10:F1} |{9}",
            l.Clients, $"{l.Succeeded}/{l.Requests.Count}", l.CompletionTokens, l.Wall.TotalSeconds, l.AggregateTokensPerSecond,
            Percentiles.Of(l.TimeToFirstTokenMs, 50), Percentiles.Of(l.TimeToFirstTokenMs, 95),
            Percentiles.Of(l.InterTokenMs, 50), Percentiles.Of(l.InterTokenMs, 95), l.TimedOut ? " time limit hit" : ""));
    }

    private static void WriteJson(Utf8JsonWriter w, List<LoadLevel> levels, int maxTokens, int promptWords)
    {
        w.WriteStartObject();
        w.WriteNumber("max_tokens", maxTokens);
        w.WriteNumber("prompt_words", promptWords);
        w.WriteStartArray("levels");
        foreach (var l in levels)
        {
            w.WriteStartObject();
            w.WriteNumber("clients", l.Clients);
            w.WriteNumber("requests", l.Requests.Count);
            w.WriteNumber("succeeded", l.Succeeded);
            w.WriteNumber("completion_tokens", l.CompletionTokens);
            w.WriteNumber("wall_s", l.Wall.TotalSeconds);
            w.WriteNumber("tokens_per_second", l.AggregateTokensPerSecond);
            w.WriteBoolean("timed_out", l.TimedOut);
            foreach (var (name, values) in new[] { ("ttft_ms", l.TimeToFirstTokenMs), ("itl_ms", l.InterTokenMs) })
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
