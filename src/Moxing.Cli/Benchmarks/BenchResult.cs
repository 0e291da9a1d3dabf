using System.Globalization;
using System.Text.Json;
using Moxing.Core;

namespace Moxing.Cli.Benchmarks;

/// <summary>One bar of a benchmark chart: an engine's tokens/s in one test of one saved run.</summary>
/// <param name="Series">Which run it belongs to (engine and file).</param>
/// <param name="Test">The test as llama-bench names it (pp512, tg128, pp512+tg128, tg128 b16).</param>
/// <param name="TokensPerSecond">Mean rate.</param>
/// <param name="StandardDeviation">Sample standard deviation of the rate (0 when unknown).</param>
internal sealed record BenchResult(string Series, string Test, double TokensPerSecond, double StandardDeviation)
{
    /// <summary>
    /// The results saved in <paramref name="path"/>: `moxing bench --json`, `llama-bench -o json` (an array of tests) or
    /// `llama-batched-bench --output-format jsonl` (one object per line).
    /// </summary>
    public static List<BenchResult> Read(string path)
    {
        if (!File.Exists(path)) throw new MoxingException($"{path}: no such benchmark file");
        var text = File.ReadAllText(path);
        var name = Path.GetFileNameWithoutExtension(path);
        var results = new List<BenchResult>();
        try
        {
            if (TryParse(text) is { } doc)
                using (doc)
                    Add(doc.RootElement, name, results);
            else
                foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    using var lineDoc = JsonDocument.Parse(line);
                    Add(lineDoc.RootElement, name, results);
                }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new MoxingException($"{path}: not a moxing bench --json, llama-bench -o json or llama-batched-bench jsonl file ({e.Message})", e);
        }
        if (results.Count == 0) throw new MoxingException($"{path}: the file holds no test results");
        return results;
    }

    // One JSON document, or null for JSON lines (several documents).
    private static JsonDocument? TryParse(string text)
    {
        try
        {
            return JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void Add(JsonElement root, string file, List<BenchResult> results)
    {
        if (root.ValueKind == JsonValueKind.Array)
            foreach (var test in root.EnumerateArray()) results.Add(LlamaBench(test, file));
        else if (root.TryGetProperty("tests", out _)) Moxing(root, file, results);
        else BatchedBench(root, file, results);
    }

    private static void Moxing(JsonElement root, string file, List<BenchResult> results)
    {
        var kv = root.TryGetProperty("kv_type", out var k) ? $", {k.GetString()} KV" : "";
        var series = $"Moxing ({file}{kv})";
        foreach (var test in root.GetProperty("tests").EnumerateArray())
        {
            var rate = test.GetProperty("tokens_per_second");
            results.Add(new BenchResult(series, test.GetProperty("test").GetString()!, rate.GetProperty("mean").GetDouble(), rate.GetProperty("sd").GetDouble()));
        }
    }

    // llama-bench names a test ppP, tgN or ppP+tgN, with " @ dD" when it starts at a context depth.
    private static BenchResult LlamaBench(JsonElement test, string file)
    {
        int prompt = test.GetProperty("n_prompt").GetInt32(), generated = test.GetProperty("n_gen").GetInt32();
        var depth = test.TryGetProperty("n_depth", out var d) ? d.GetInt32() : 0;
        var name = generated == 0 ? $"pp{prompt}" : prompt == 0 ? $"tg{generated}" : $"pp{prompt}+tg{generated}";
        if (depth > 0) name += string.Create(CultureInfo.InvariantCulture, $" @ d{depth}");
        var kv = test.TryGetProperty("type_k", out var k) ? $", {k.GetString()!.ToUpperInvariant()} KV" : "";
        return new BenchResult($"llama.cpp ({file}{kv})", name, test.GetProperty("avg_ts").GetDouble(),
            test.TryGetProperty("stddev_ts", out var sd) ? sd.GetDouble() : 0);
    }

    // One line per (pp, tg, pl): aggregate prefill and generation speeds, named as moxing bench -b names them.
    private static void BatchedBench(JsonElement line, string file, List<BenchResult> results)
    {
        int prompt = line.GetProperty("pp").GetInt32(), generated = line.GetProperty("tg").GetInt32(), sequences = line.GetProperty("pl").GetInt32();
        var series = $"llama.cpp ({file})";
        if (prompt > 0) results.Add(new BenchResult(series, $"pp{prompt} b{sequences}", line.GetProperty("speed_pp").GetDouble(), 0));
        if (generated > 0) results.Add(new BenchResult(series, $"tg{generated} b{sequences}", line.GetProperty("speed_tg").GetDouble(), 0));
    }
}
