using Moxing.Core.Formats.Gguf;
using Moxing.Core.Tensors;
using Moxing.Tests;

namespace Moxing.Cli.Tests.Commands;

public sealed class QuantizeCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-quantize-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void AHuggingFaceFolderQuantizesWithItsOwnImportanceMatrixAndRuns()
    {
        var folder = Fixtures.Path("hf", "models", "llama-k256");
        var text = Path.Combine(_dir, "text.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("Small models still need calibration text to weigh their columns. ", 10)));
        var imatrix = Path.Combine(_dir, "m.gguf");
        var (code, _, error) = CliRunner.Run("imatrix", folder, "--text", text, "-o", imatrix, "--ctx", "32");
        Assert.True(code == 0, error);
        var output = Path.Combine(_dir, "q.gguf");
        (code, var stdout, error) = CliRunner.Run("quantize", folder, output, "--type", "Q4_K_M", "--imatrix", imatrix);
        Assert.True(code == 0, error);
        Assert.Contains("Q4_K_M", stdout);
        using (var file = GgufFile.Open(output))
        {
            Assert.Equal(DType.Q4_K, file.Find("blk.0.attn_q.weight")!.Type);
            Assert.Equal("llama", file.Metadata.GetString("general.architecture"));
            Assert.Equal(15, file.Metadata.GetInt32("general.file_type"));
        }
        (code, stdout, error) = CliRunner.Run("generate", output, "--ids", "5,6,7", "-n", "4", "--greedy", "--ignore-eos");
        Assert.True(code == 0, error);
    }

    [Fact]
    public void DryRunListsTheConvertedTensors()
    {
        var (code, stdout, error) = CliRunner.Run("quantize", Fixtures.Path("hf", "models", "gpt2-tiny"), "--type", "Q8_0", "--dry-run");
        Assert.True(code == 0, error);
        Assert.Contains("blk.0.attn_qkv.weight", stdout);
        Assert.Contains("position_embd.weight", stdout);
    }

    [Fact]
    public void ABertFolderBecomesAGgufEncoderThatEmbedsTextAsTheFolder()
    {
        var folder = Fixtures.Path("hf", "models", "bert-tiny");
        var output = Path.Combine(_dir, "bert.gguf");
        var (code, _, error) = CliRunner.Run("quantize", folder, output, "--type", "F32");
        Assert.True(code == 0, error);
        var fromGguf = CliRunner.Json("embed", output, "--text", "hello world");
        var fromFolder = CliRunner.Json("embed", folder, "--text", "hello world");
        Assert.Equal(fromFolder["ids"]!.ToJsonString(), fromGguf["ids"]!.ToJsonString());
        var (a, b) = (fromFolder["embedding"]!.AsArray().Select(v => (double)v!).ToArray(), fromGguf["embedding"]!.AsArray().Select(v => (double)v!).ToArray());
        for (var i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 5);
        (code, var stdout, error) = CliRunner.Run("show", output);
        Assert.True(code == 0, error);
        Assert.Contains("encoder         2 layers, hidden 64", stdout);
        Assert.Contains("Mean pooling", stdout);
    }

    [Theory]
    [InlineData("missing", "no such GGUF file or Hugging Face folder")]
    public void FoldersThatCannotBeConvertedAreOneLineErrors(string model, string message)
    {
        var (code, _, error) = CliRunner.Run("quantize", Fixtures.Path("hf", "models", model), Path.Combine(_dir, "x.gguf"), "--type", "Q8_0");
        Assert.Equal(1, code);
        Assert.Contains(message, error);
        Assert.Single(error.Trim().Split('\n'));
    }
}
