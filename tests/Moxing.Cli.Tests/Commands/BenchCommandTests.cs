using System.Text.Json;
using System.Text.Json.Nodes;
using Moxing.Cli;

namespace Moxing.Cli.Tests.Commands;

public sealed class BenchCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-bench-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    private string TinyModel()
    {
        var path = Path.Combine(_dir, "tiny.gguf");
        Assert.Equal(0, Run("synth", "--like", "tiny-qwen2", "--type", "Q4_K_M", "-o", path).Code);
        return path;
    }

    [Fact]
    public void ReportsPrefillAndDecodeRatesAndBandwidthFraction()
    {
        var (code, output, err) = Run("bench", TinyModel(), "-p", "16", "-n", "8", "-r", "2", "--memory", "--memory-mib", "8", "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("bandwidth_gbs").GetProperty("mean").GetDouble() > 0);
        var tests = root.GetProperty("tests");
        Assert.Equal(2, tests.GetArrayLength());
        Assert.Equal("pp16", tests[0].GetProperty("test").GetString());
        Assert.Equal("tg8", tests[1].GetProperty("test").GetString());
        foreach (var t in tests.EnumerateArray())
        {
            var rate = t.GetProperty("tokens_per_second");
            Assert.Equal(2, rate.GetProperty("samples").GetArrayLength());
            Assert.True(rate.GetProperty("mean").GetDouble() > 0);
        }
        Assert.True(tests[1].GetProperty("bandwidth_fraction").GetDouble() > 0);
        Assert.False(tests[0].TryGetProperty("bandwidth_fraction", out _));
        // Tied embeddings: every weight is read per token, so bytes per token is the whole size.
        Assert.Equal(root.GetProperty("size_bytes").GetInt64(), root.GetProperty("weight_bytes_per_token").GetInt64());
        Assert.True(root.GetProperty("load_ms").GetDouble() > 0);
        Assert.True(root.GetProperty("resident_bytes_after_tests").GetInt64() >= root.GetProperty("size_bytes").GetInt64(),
            "every weight was read, so the mapped file is resident");
    }

    [Fact]
    public void TableHasOneRowPerTest()
    {
        var (code, output, err) = Run("bench", TinyModel(), "-p", "8", "-n", "0", "-r", "1");
        Assert.True(code == 0, err);
        Assert.Matches(@"\|\s+pp8\s+\|", output);
        Assert.DoesNotContain("tg", output);
    }

    [Fact]
    public void DepthsRepeatTheTestsAfterTokensAlreadyInContextAsLlamaBenchNamesThem()
    {
        var model = TinyModel();
        var (code, output, err) = Run("bench", model, "-p", "8", "-n", "4", "-d", "0,24", "-r", "1", "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(output);
        var tests = doc.RootElement.GetProperty("tests");
        Assert.Equal(["pp8", "tg4", "pp8 @ d24", "tg4 @ d24"], tests.EnumerateArray().Select(t => t.GetProperty("test").GetString()!).ToArray());
        Assert.Equal([0, 0, 24, 24], tests.EnumerateArray().Select(t => t.GetProperty("n_depth").GetInt32()).ToArray());
        foreach (var t in tests.EnumerateArray()) Assert.True(t.GetProperty("tokens_per_second").GetProperty("mean").GetDouble() > 0);
        // the tiny model's context is 256 positions: a depth that leaves no room for the test is refused, as is -d with -b
        (code, _, err) = Run("bench", model, "-p", "8", "-n", "4", "-d", "250", "-r", "1");
        Assert.NotEqual(0, code);
        Assert.Contains("258 positions", err);
        (code, _, err) = Run("bench", model, "-p", "8", "-n", "4", "-d", "16", "-b", "2", "-r", "1");
        Assert.NotEqual(0, code);
        Assert.Contains("-b", err);
        Assert.NotEqual(0, Run("bench", model, "-d", "-1", "-r", "1").Code);
    }

    [Fact]
    public void BatchedRowsReportAggregateRatesPerSequenceCountAndTheKvType()
    {
        var (code, output, err) = Run("bench", TinyModel(), "-p", "8", "-n", "4", "-b", "1,3", "-r", "1", "--kv", "q8_0", "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal("Q8_0", root.GetProperty("kv_type").GetString());
        var tests = root.GetProperty("tests");
        Assert.Equal(["pp8 b1", "tg4 b1", "pp8 b3", "tg4 b3"], tests.EnumerateArray().Select(t => t.GetProperty("test").GetString()!).ToArray());
        Assert.Equal(3, tests[3].GetProperty("batch").GetInt32());
        Assert.Equal(4, tests[3].GetProperty("n_gen").GetInt32());
        Assert.Equal(8, tests[3].GetProperty("n_prompt").GetInt32());
        foreach (var t in tests.EnumerateArray()) Assert.True(t.GetProperty("tokens_per_second").GetProperty("mean").GetDouble() > 0);

        (code, output, err) = Run("bench", TinyModel(), "-p", "4", "-n", "2", "-b", "2", "-r", "1");
        Assert.True(code == 0, err);
        Assert.Matches(@"\|\s+F16\s+\|\s+\d+\s+\|\s+tg2 b2\s+\|", output);
    }

    [Fact]
    public void PlotDrawsSavedMoxingAndLlamaCppResultsAsAPng()
    {
        var moxing = Path.Combine(_dir, "moxing.json");
        File.WriteAllText(moxing, """
            {"threads": 2, "model": "q.gguf", "kv_type": "F16", "tests": [
              {"test": "pp64", "n_prompt": 64, "n_gen": 0, "batch": 1, "tokens_per_second": {"mean": 120.5, "sd": 3.1, "samples": [118, 123]}},
              {"test": "tg16", "n_prompt": 0, "n_gen": 16, "batch": 1, "tokens_per_second": {"mean": 30.2, "sd": 0.4, "samples": [30, 30.4]}}]}
            """);
        var llama = Path.Combine(_dir, "llama.json");
        File.WriteAllText(llama, """
            [{"model_type": "qwen2 1B Q4_K - Medium", "type_k": "f16", "n_prompt": 64, "n_gen": 0, "n_depth": 0, "avg_ts": 150.1, "stddev_ts": 2.0},
             {"model_type": "qwen2 1B Q4_K - Medium", "type_k": "f16", "n_prompt": 0, "n_gen": 16, "n_depth": 0, "avg_ts": 28.9, "stddev_ts": 0.7}]
            """);
        var batched = Path.Combine(_dir, "batched.jsonl");
        File.WriteAllText(batched, """
            {"n_kv_max": 4096, "pp": 32, "tg": 16, "pl": 4, "n_kv": 192, "t_pp": 1.0, "speed_pp": 128.0, "t_tg": 1.2, "speed_tg": 53.3, "t": 2.2, "speed": 87.2}
            {"n_kv_max": 4096, "pp": 32, "tg": 16, "pl": 16, "n_kv": 768, "t_pp": 4.0, "speed_pp": 128.0, "t_tg": 2.4, "speed_tg": 106.6, "t": 6.4, "speed": 120.0}
            """);
        var png = Path.Combine(_dir, "chart.png");
        var (code, output, err) = Run("bench", "--plot", png, moxing, llama, batched);
        Assert.True(code == 0, err);
        Assert.Contains("8 results from 3 files", output);
        var bytes = File.ReadAllBytes(png);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.Equal(1000, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.Equal(600, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
        Assert.True(bytes.Length > 5000, "a chart with bars, ticks and a legend, not an empty image");
    }

    [Fact]
    public void PlotRejectsFilesThatAreNotBenchmarkResults()
    {
        var bad = Path.Combine(_dir, "bad.json");
        File.WriteAllText(bad, "{\"hello\": 1}");
        var (code, _, err) = Run("bench", "--plot", Path.Combine(_dir, "x.png"), bad);
        Assert.NotEqual(0, code);
        Assert.Contains("bad.json", err);
        Assert.NotEqual(0, Run("bench", "--plot", Path.Combine(_dir, "x.png")).Code);
        Assert.NotEqual(0, Run("bench", "--plot", Path.Combine(_dir, "x.png"), Path.Combine(_dir, "missing.json")).Code);
    }

    [Theory]
    [InlineData("-b", "0")]
    [InlineData("-b", "x")]
    [InlineData("--kv", "q4_0")]
    [InlineData("-r", "0")]
    [InlineData("-p", "-1")]
    public void BadOptionsAreUsageErrors(string option, string value)
    {
        var (code, _, err) = Run("bench", TinyModel(), option, value);
        Assert.NotEqual(0, code);
        Assert.NotEmpty(err);
    }

    [Fact]
    public void NeedsAModelUnlessMeasuringMemory() => Assert.NotEqual(0, Run("bench").Code);

    [Fact]
    public void BenchTrainReportsSamplesPerSecondOfTheCnnAndTheGptAndTakesAnotherRunAsItsPeer()
    {
        var (code, output, err) = Run("bench", "train", "--steps", "2", "-r", "1", "--warmup", "0", "--json");
        Assert.True(code == 0, err);
        var json = JsonNode.Parse(output)!;
        Assert.Equal("Moxing", (string)json["engine"]!);
        Assert.Null(json["peer"]);
        var results = json["results"]!.AsArray();
        Assert.Equal(["digits-cnn", "names-gpt"], results.Select(r => (string)r!["model"]!));
        Assert.All(results, r => Assert.True((double)r!["samples_per_second"]! > 0));
        Assert.All(results, r => Assert.True((double)r!["user_cpu_ms_per_step"]! >= 0));
        Assert.Equal(13_706, (long)results[0]!["parameters"]!);
        Assert.Equal(107_008, (long)results[1]!["parameters"]!);
        Assert.All(results, r => Assert.Equal(1, (int)r!["warmup_steps"]!));

        // Our --json output has the fields of a peer file, so a second run compares itself with the first.
        var first = Path.Combine(_dir, "first.json");
        File.WriteAllText(first, output);
        var second = CliRunner.Json("bench", "train", "--steps", "2", "-r", "1", "--warmup", "0", "--against", first, "--json");
        Assert.Equal(first, (string)second["peer"]!["file"]!);
        Assert.Empty(second["warnings"]!.AsArray());
        for (var i = 0; i < 2; i++)
        {
            var r = second["results"]![i]!;
            var peerRate = (double)r["peer"]!["samples_per_second"]!;
            Assert.Equal((double)results[i]!["samples_per_second"]!, peerRate);
            Assert.Equal((double)r["samples_per_second"]! / peerRate, (double)r["ratio"]!, 1e-12);
        }
    }

    [Fact]
    public void BenchTrainRejectsABadPeerFileBeforeMeasuring()
    {
        var bad = Path.Combine(_dir, "pytorch.json");
        File.WriteAllText(bad, "{\"engine\": \"PyTorch\", \"threads\": 2}");
        var (code, output, err) = Run("bench", "train", "--steps", "1", "-r", "1", "--against", bad);
        Assert.Equal(1, code);
        Assert.Equal($"moxing bench: {bad}: not a bench-train-pytorch.py result: no \"results\" array of models", err.Trim());
        Assert.Empty(output);
        Assert.Contains("no such file", Run("bench", "train", "--against", Path.Combine(_dir, "missing.json")).Err);
        Assert.Contains("--warmup is seconds from 0 to 600", Run("bench", "train", "--warmup", "-1").Err);
    }
}
