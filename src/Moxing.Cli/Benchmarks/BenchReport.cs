using System.Globalization;
using System.Text.Json;

namespace Moxing.Cli.Benchmarks;

/// <summary>One measured test: tokens/s over <paramref name="Batch"/> sequences, each with <paramref name="Prompt"/> prompt tokens (prefilled, or already in context when <paramref name="Generated"/> &gt; 0) and <paramref name="Generated"/> decoded ones, after <paramref name="Depth"/> tokens already in context.</summary>
internal sealed record BenchTest(string Name, Samples Rate, int Prompt, int Generated, int Batch, int Depth = 0);

/// <summary>The results of one `moxing bench` run, written as a llama-bench-like table or as JSON.</summary>
internal sealed class BenchReport(int threads, Samples? bandwidth)
{
    public ModelFacts? Model { get; set; }

    /// <summary>How the KV cache stored keys and values.</summary>
    public string KvType { get; set; } = "";

    /// <summary>Whether the run used --low-memory's settings.</summary>
    public bool LowMemory { get; init; }

    public LoadFacts? Load { get; set; }

    public List<BenchTest> Tests { get; } = [];

    // Tokens/s that reading every weight once per token at the measured bandwidth would allow.
    private double? BoundTokensPerSecond => bandwidth != null && Model != null ? bandwidth.Mean * 1e9 / Model.BytesPerToken : null;

    // A decode test's share of the bound; a step of a batch reads the weights once for all its sequences.
    private double? BandwidthFraction(BenchTest test) =>
        test.Generated > 0 && BoundTokensPerSecond is { } bound ? test.Rate.Mean / (bound * test.Batch) : null;

    public void WriteTable(TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        if (bandwidth != null)
            output.WriteLine(string.Format(c, "memory read bandwidth: {0:F2} ± {1:F2} GB/s ({2} threads)", bandwidth.Mean, bandwidth.StandardDeviation, threads));
        if (Model == null) return;
        if (Load != null)
            output.WriteLine(string.Format(c, "load: {0:F0} ms; resident memory {1} after load, {2} after the tests (file {3}){4}",
                Load.Time.TotalMilliseconds, HumanUnits.Bytes(Load.ResidentAfterLoad), HumanUnits.Bytes(Load.ResidentAfterRun), HumanUnits.Bytes(Model.SizeBytes),
                LowMemory ? "; low memory" : ""));
        var bound = BoundTokensPerSecond;
        output.WriteLine($"| {"model",-30} | {"size",10} | {"params",10} | {"type",-16} | {"kv",4} | {"threads",7} | {"test",12} | {"t/s",20} |{(bound != null ? " of bw bound |" : "")}");
        output.WriteLine($"| {new string('-', 30)} | {new string('-', 9)}: | {new string('-', 9)}: | {new string('-', 16)} | {new string('-', 4)} | {new string('-', 6)}: | {new string('-', 11)}: | {new string('-', 19)}: |{(bound != null ? " -----------: |" : "")}");
        foreach (var test in Tests)
        {
            var rateText = string.Format(c, "{0:F2} ± {1:F2}", test.Rate.Mean, test.Rate.StandardDeviation);
            var fraction = bound == null ? "" : BandwidthFraction(test) is { } f ? string.Format(c, " {0,11:P1} |", f) : $" {"",11} |";
            output.WriteLine(string.Format(c, "| {0,-30} | {1,10} | {2,10} | {3,-16} | {4,4} | {5,7} | {6,12} | {7,20} |{8}",
                Model.Name, HumanUnits.Bytes(Model.SizeBytes), HumanUnits.Count(Model.Parameters), Model.Types, KvType, threads, test.Name, rateText, fraction));
        }
    }

    public void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteNumber("threads", threads);
        bandwidth?.WriteJson(w, "bandwidth_gbs");
        if (Model != null)
        {
            w.WriteString("model", Model.Name);
            w.WriteNumber("size_bytes", Model.SizeBytes);
            w.WriteNumber("params", Model.Parameters);
            w.WriteString("types", Model.Types);
            w.WriteNumber("weight_bytes_per_token", Model.BytesPerToken);
            w.WriteString("kv_type", KvType);
            w.WriteBoolean("low_memory", LowMemory);
            if (Load != null)
            {
                w.WriteNumber("load_ms", Load.Time.TotalMilliseconds);
                w.WriteNumber("resident_bytes_after_load", Load.ResidentAfterLoad);
                w.WriteNumber("resident_bytes_after_tests", Load.ResidentAfterRun);
            }
            w.WriteStartArray("tests");
            foreach (var test in Tests)
            {
                w.WriteStartObject();
                w.WriteString("test", test.Name);
                w.WriteNumber("n_prompt", test.Prompt);
                w.WriteNumber("n_gen", test.Generated);
                w.WriteNumber("batch", test.Batch);
                w.WriteNumber("n_depth", test.Depth);
                test.Rate.WriteJson(w, "tokens_per_second");
                if (BandwidthFraction(test) is { } fraction) w.WriteNumber("bandwidth_fraction", fraction);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }
}
