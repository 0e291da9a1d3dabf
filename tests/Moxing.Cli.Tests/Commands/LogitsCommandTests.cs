using System.Runtime.InteropServices;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Tensors;

namespace Moxing.Cli.Tests.Commands;

public sealed class LogitsCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-logits-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Model()
    {
        var path = Path.Combine(_dir, "tiny-qwen2.gguf");
        var (code, _, err) = CliRunner.Run("synth", "--like", "tiny-qwen2", "--type", "F32", "-o", path);
        Assert.True(code == 0, err);
        return path;
    }

    private static float[] Logits(params string[] args) =>
        [.. CliRunner.Json(["logits", .. args])["logits"]!.AsArray().SelectMany(r => r is System.Text.Json.Nodes.JsonArray row ? row.ToArray() : new[] { r }).Select(v => (float)v!)];

    private static (int[] Dims, float[] Values) Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return (MemoryMarshal.Cast<byte, int>(bytes.AsSpan(0, 16)).ToArray(), MemoryMarshal.Cast<byte, float>(bytes.AsSpan(16)).ToArray());
    }

    [Fact]
    public void DumpWritesWhatEveryProductReadsAndTheLogits()
    {
        var model = Model();
        var dump = Path.Combine(_dir, "dump");
        var logits = Logits(model, "--ids", "5,6,7", "--all", "--kv-type", "f32", "--dump", dump);
        var files = Directory.GetFiles(dump).Select(Path.GetFileName).Order().ToArray();
        Assert.Equal("0000-blk.0.attn_q.weight.bin", files[0]);
        var (dims, saved) = Read(Path.Combine(dump, "logits.bin"));
        Assert.Equal(logits, saved);
        Assert.Equal(3, dims[1]);
        // q, k and v read the same normed rows; the head's input times the head is the logits
        string Of(string weight) => Path.Combine(dump, files.First(f => f![5..] == weight + ".bin")!);
        var (qDims, q) = Read(Of("blk.0.attn_q.weight"));
        Assert.Equal([256, 3, 1, 1], qDims);
        Assert.Equal(q, Read(Of("blk.0.attn_v.weight")).Values);
        using var file = GgufFile.Open(model);
        var head = file.Find("output.weight") ?? file.Find("token_embd.weight")!;
        Assert.Equal(DType.F32, head.Type);
        var weights = MemoryMarshal.Cast<byte, float>(head.Bytes);
        var (headDims, x) = Read(Of(head.Name));
        var (width, vocab) = (headDims[0], logits.Length / 3);
        for (var t = 0; t < 3; t++)
            foreach (var token in new[] { 0, 17, vocab - 1 })
            {
                var dot = 0.0;
                for (var i = 0; i < width; i++) dot += x[t * width + i] * weights[token * width + i];
                Assert.Equal(logits[t * vocab + token], dot, 1e-4);
            }
    }

    [Fact]
    public void KvTypeChoosesTheCacheAndRefusesOthersByName()
    {
        var model = Model();
        var f32 = Logits(model, "--ids", "5,6,7,8", "--kv-type", "f32");
        var f16 = Logits(model, "--ids", "5,6,7,8");
        var gap = f32.Zip(f16, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(gap is > 0 and < 1e-2f, $"F32 and F16 caches differ by {gap}");
        var (code, _, err) = CliRunner.Run("logits", model, "--ids", "5", "--kv-type", "f8");
        Assert.NotEqual(0, code);
        Assert.Contains("--kv-type must be f16, q8_0 or f32, got 'f8'", err);
    }
}
