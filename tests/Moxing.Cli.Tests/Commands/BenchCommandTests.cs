using System.Text.Json;
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
}
