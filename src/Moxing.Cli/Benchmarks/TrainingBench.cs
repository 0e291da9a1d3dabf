using System.Globalization;
using System.Text.Json;
using Moxing.Core.Kernels;
using Moxing.Training.Trainer;

namespace Moxing.Cli.Benchmarks;

/// <summary>
/// `moxing bench train`: training samples per second of the documented CNN and GPT (median of the repetitions), as a
/// table or JSON, beside a peer's figures on the same models (`--against FILE` from scripts/bench-train-pytorch.py).
/// </summary>
public static class TrainingBench
{
    /// <summary>How to get a peer's figures, printed under a table that has none.</summary>
    public const string PeerHint = "side by side with PyTorch: python3 scripts/bench-train-pytorch.py -t THREADS > pytorch.json, then --against pytorch.json";

    /// <summary>Reads the peer file first (a bad one fails before minutes of timing), runs the measurement and writes it.</summary>
    public static int Run(int steps, int repetitions, TimeSpan warmup, bool json, string? against, CommandContext context)
    {
        var peer = against == null ? null : TrainingPeer.Read(against);
        var results = TrainingThroughput.Standard(steps, repetitions, warmup);
        var threads = WorkerPool.Shared.ThreadCount;
        if (json) JsonOutput.Write(context.Out, w => WriteJson(w, results, threads, peer), indented: true);
        else WriteTable(context.Out, results, threads, peer);
        return 0;
    }

    /// <summary>
    /// One row per model: median samples/s and user CPU ms per step, and with a peer its figures and our/its rate ratio;
    /// warnings follow when the peer ran another thread count, another model (parameter count) or lacks a model.
    /// </summary>
    public static void WriteTable(TextWriter output, IReadOnlyList<ThroughputResult> results, int threads, TrainingPeer? peer)
    {
        var c = CultureInfo.InvariantCulture;
        var (repetitions, steps) = results.Count > 0 ? (results[0].Rates.Count, results[0].Steps) : (0, 0);
        output.WriteLine(string.Create(c, $"samples/s: median of {repetitions} repetitions of {steps} steps after warm-up; Moxing {threads} threads") +
            (peer == null ? "" : string.Create(c, $", {PeerName(peer)} {peer.Threads} threads ({peer.File})")));
        if (peer == null)
        {
            output.WriteLine("| model | params | batch | samples/s | CPU ms/step |");
            output.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        }
        else
        {
            output.WriteLine($"| model | params | batch | Moxing samples/s | {peer.Engine} samples/s | Moxing ÷ {peer.Engine} | Moxing CPU ms/step | {peer.Engine} CPU ms/step |");
            output.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        }
        foreach (var r in results)
        {
            var (rate, cpu) = (new Samples(r.Rates).Median, new Samples(r.UserCpuMsPerStep).Median);
            var row = string.Create(c, $"| {r.Model} ({r.Description}) | {r.Parameters:N0} | {r.BatchSize} | {rate:N1} |");
            if (peer == null) output.WriteLine(row + string.Create(c, $" {cpu:N1} |"));
            else if (peer.Results.TryGetValue(r.Model, out var p))
                output.WriteLine(row + string.Create(c, $" {p.SamplesPerSecond:N1} | {rate / p.SamplesPerSecond:F2}× | {cpu:N1} | {(p.UserCpuMsPerStep is { } pc ? pc.ToString("N1", c) : "–")} |"));
            else output.WriteLine(row + string.Create(c, $" – | – | {cpu:N1} | – |"));
        }
        if (peer == null) output.WriteLine(PeerHint);
        else foreach (var warning in Warnings(results, threads, peer)) output.WriteLine("warning: " + warning);
    }

    /// <summary>The same figures as JSON, with the fields of a peer file (so one run's output can be another's --against).</summary>
    public static void WriteJson(Utf8JsonWriter w, IReadOnlyList<ThroughputResult> results, int threads, TrainingPeer? peer)
    {
        w.WriteStartObject();
        w.WriteString("engine", "Moxing");
        w.WriteString("version", typeof(TrainingBench).Assembly.GetName().Version?.ToString());
        w.WriteNumber("threads", threads);
        if (peer != null)
        {
            w.WriteStartObject("peer");
            w.WriteString("engine", peer.Engine);
            w.WriteString("version", peer.Version);
            w.WriteNumber("threads", peer.Threads);
            w.WriteString("file", peer.File);
            w.WriteEndObject();
        }
        w.WriteStartArray("results");
        foreach (var r in results)
        {
            var rates = new Samples(r.Rates);
            w.WriteStartObject();
            w.WriteString("model", r.Model);
            w.WriteString("description", r.Description);
            w.WriteNumber("parameters", r.Parameters);
            w.WriteNumber("batch_size", r.BatchSize);
            w.WriteNumber("steps", r.Steps);
            w.WriteNumber("warmup_steps", r.WarmupSteps);
            w.WriteNumber("samples_per_second", rates.Median);
            rates.WriteJson(w, "rates");
            w.WriteNumber("user_cpu_ms_per_step", new Samples(r.UserCpuMsPerStep).Median);
            if (peer != null && peer.Results.TryGetValue(r.Model, out var p))
            {
                w.WriteStartObject("peer");
                w.WriteNumber("parameters", p.Parameters);
                w.WriteNumber("samples_per_second", p.SamplesPerSecond);
                if (p.UserCpuMsPerStep is { } cpu) w.WriteNumber("user_cpu_ms_per_step", cpu);
                w.WriteEndObject();
                w.WriteNumber("ratio", rates.Median / p.SamplesPerSecond);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (peer != null)
        {
            w.WriteStartArray("warnings");
            foreach (var warning in Warnings(results, threads, peer)) w.WriteStringValue(warning);
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    // What makes a ratio not like for like.
    private static IEnumerable<string> Warnings(IReadOnlyList<ThroughputResult> results, int threads, TrainingPeer peer)
    {
        if (peer.Threads != threads)
            yield return $"{peer.Engine} ran with {peer.Threads} threads and Moxing with {threads}: the ratios compare different thread counts";
        foreach (var r in results)
            if (!peer.Results.TryGetValue(r.Model, out var p)) yield return $"{peer.File} has no result for {r.Model}";
            else if (p.Parameters != r.Parameters)
                yield return string.Create(CultureInfo.InvariantCulture,
                    $"{r.Model}: {peer.Engine}'s model has {p.Parameters:N0} parameters, ours {r.Parameters:N0}: not the same model");
    }

    private static string PeerName(TrainingPeer peer) => peer.Version.Length == 0 ? peer.Engine : $"{peer.Engine} {peer.Version}";
}
