using Moxing.Core.Formats.Gguf;
using Moxing.Core.Quantization.Importance;
using Moxing.Core.Tensors;
using Moxing.Tests;

namespace Moxing.Cli.Tests.Commands;

public sealed class ImatrixCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-imatrix-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Text()
    {
        var path = Path.Combine(_dir, "calibration.txt");
        File.WriteAllText(path, string.Concat(Enumerable.Repeat("The quick brown fox jumps over the lazy dog, then naps in the warm sun. ", 12)));
        return path;
    }

    [Fact]
    public void ImatrixFeedsQuantizeWhichWeighsTheTensorsWithIt()
    {
        var model = Fixtures.Path("gguf", "llama-k256.F32.gguf");
        var imatrix = Path.Combine(_dir, "m.gguf");
        var (code, output, error) = CliRunner.Run("imatrix", model, "--text", Text(), "-o", imatrix, "--ctx", "32", "--chunks", "3");
        Assert.True(code == 0, error);
        Assert.Contains("3 chunks of 32", output);
        Assert.Contains("perplexity", output);
        var matrix = ImportanceMatrix.Load(imatrix);
        Assert.Equal(14, matrix.Count);
        Assert.Equal((3, 32), (matrix.ChunkCount, matrix.ChunkSize));

        var weighted = Path.Combine(_dir, "weighted.gguf");
        (code, _, error) = CliRunner.Run("quantize", model, weighted, "--type", "IQ4_XS", "--imatrix", imatrix);
        Assert.True(code == 0, error);
        var plain = Path.Combine(_dir, "plain.gguf");
        (code, _, error) = CliRunner.Run("quantize", model, plain, "--type", "IQ4_XS");
        Assert.True(code == 0, error);
        using var w = GgufFile.Open(weighted);
        using var p = GgufFile.Open(plain);
        Assert.True(w.Metadata.TryGetInt32("quantize.imatrix.entries_count", out var entries) && entries == 14);
        Assert.True(w.Metadata.TryGetInt32("quantize.imatrix.chunks_count", out var chunks) && chunks == 3);
        var q = w.Find("blk.0.attn_q.weight")!;
        Assert.Equal(DType.IQ4_XS, q.Type);
        Assert.False(q.Bytes.SequenceEqual(p.Find("blk.0.attn_q.weight")!.Bytes));
    }

    [Fact]
    public void ALegacyDatIsWrittenForOtherExtensions()
    {
        var output = Path.Combine(_dir, "m.dat");
        var (code, _, error) = CliRunner.Run("imatrix", Fixtures.Path("hf", "models", "llama-tiny"), "--text", Text(), "-o", output, "--ctx", "16");
        Assert.True(code == 0, error);
        Assert.False(GgufFile.HasMagic(output));
        Assert.Contains("blk.1.ffn_down.weight", ImportanceMatrix.Load(output).Names);
    }

    [Theory]
    [InlineData("--ctx", "2")]
    [InlineData("--chunks", "0")]
    [InlineData("--ctx", "4096")]
    public void BadArgumentsAreOneLineErrors(string option, string value)
    {
        var (code, _, error) = CliRunner.Run("imatrix", Fixtures.Path("gguf", "llama-tiny.F32.gguf"), "--text", Text(), "-o",
            Path.Combine(_dir, "x.gguf"), option, value);
        Assert.Equal(1, code);
        Assert.Contains(option == "--ctx" && value == "4096" ? "needs at least 8192" : option, error);
    }
}
