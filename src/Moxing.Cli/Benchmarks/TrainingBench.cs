using System.Globalization;
using Moxing.Core.Kernels;
using Moxing.Training.Trainer;

namespace Moxing.Cli.Benchmarks;

/// <summary>`moxing bench train`: training samples per second of the documented CNN and GPT, as a table or JSON.</summary>
public static class TrainingBench
{
    /// <summary>PyTorch is not installed here, so no peer runs beside ours; the report says so rather than leave the ratio blank.</summary>
    public const string PeerNote = "no PyTorch on this machine: no side-by-side ratio";

    /// <summary>Runs the measurement and writes it.</summary>
    public static int Run(int steps, int repetitions, bool json, CommandContext context)
    {
        var results = TrainingThroughput.Standard(steps, repetitions);
        var threads = WorkerPool.Shared.ThreadCount;
        if (json)
        {
            JsonOutput.Write(context.Out, w =>
            {
                w.WriteStartObject();
                w.WriteNumber("threads", threads);
                w.WriteString("peer", PeerNote);
                w.WriteStartArray("results");
                foreach (var r in results)
                {
                    w.WriteStartObject();
                    w.WriteString("model", r.Model);
                    w.WriteNumber("parameters", r.Parameters);
                    w.WriteNumber("batch_size", r.BatchSize);
                    w.WriteNumber("steps", r.Steps);
                    w.WriteNumber("samples_per_second", r.SamplesPerSecond);
                    w.WriteNumber("stddev", r.StdDev);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }, indented: true);
            return 0;
        }
        var c = CultureInfo.InvariantCulture;
        context.Out.WriteLine(string.Create(c, $"| model | params | batch | samples/s ({threads} threads) |"));
        context.Out.WriteLine("| --- | ---: | ---: | ---: |");
        foreach (var r in results)
            context.Out.WriteLine(string.Create(c, $"| {r.Model} | {r.Parameters:N0} | {r.BatchSize} | {r.SamplesPerSecond:F1} ± {r.StdDev:F1} |"));
        context.Out.WriteLine(PeerNote);
        return 0;
    }
}
