using System.Text.Json;
using Moxing.Tests;

namespace Moxing.Cli.Tests.Commands;

/// <summary>`--low-memory` on run and bench: the settings it promises, seen in their output, and a working run.</summary>
public sealed class LowMemoryCommandTests
{
    private static readonly string Wide = Fixtures.Path("gguf", "llama-k256.Q4_K_M.gguf");

    [Fact]
    public void Run_stores_the_kv_cache_as_q8_0_and_reads_every_weight_from_the_mapping()
    {
        var (code, output, err) = CliRunner.Run("run", Wide, "Hello", "--raw", "-n", "4", "--seed", "1", "--low-memory", "--verbose");
        Assert.True(code == 0, err);
        Assert.NotEmpty(output.Trim());
        Assert.Contains("context 512, KV cache Q8_0", err);
        Assert.Contains("0.00 MiB copied, low memory]", err);
        Assert.Contains("4 generated", err);

        var (usualCode, _, usual) = CliRunner.Run("run", Wide, "Hello", "--raw", "-n", "4", "--seed", "1", "--verbose");
        Assert.True(usualCode == 0, usual);
        Assert.Contains("context 512, KV cache F16", usual);
        Assert.DoesNotContain("low memory", usual);
    }

    [Fact]
    public void Run_of_a_hugging_face_gpt2_folder_says_which_weights_are_copies()
    {
        var (code, _, err) = CliRunner.Run("run", Fixtures.Path("hf", "models", "gpt2-tiny"), "Hello", "--raw", "-n", "2", "--low-memory", "--verbose");
        Assert.True(code == 0, err);
        Assert.Contains("are decoded copies, not memory-mapped", err);
        // Heads of 16 values are not whole Q8_0 blocks: the cache stays F16.
        Assert.Contains("KV cache F16", err);
    }

    [Fact]
    public void Bench_reports_the_low_memory_kv_type_and_an_explicit_kv_wins()
    {
        var (code, output, err) = CliRunner.Run("bench", Wide, "-p", "16", "-n", "4", "-r", "1", "--low-memory", "--json");
        Assert.True(code == 0, err);
        using (var doc = JsonDocument.Parse(output))
        {
            Assert.Equal("Q8_0", doc.RootElement.GetProperty("kv_type").GetString());
            Assert.True(doc.RootElement.GetProperty("low_memory").GetBoolean());
            Assert.True(doc.RootElement.GetProperty("resident_bytes_after_tests").GetInt64() > 0);
        }
        var (explicitCode, explicitOutput, explicitErr) = CliRunner.Run("bench", Wide, "-p", "16", "-n", "0", "-r", "1", "--low-memory", "--kv", "f16", "--json");
        Assert.True(explicitCode == 0, explicitErr);
        using var f16 = JsonDocument.Parse(explicitOutput);
        Assert.Equal("F16", f16.RootElement.GetProperty("kv_type").GetString());
    }
}
