using Moxing.Core.Formats.Gguf;
using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Importance;
using Moxing.Core.Quantization.Mixes;
using Moxing.Core.Tensors;
using Moxing.Tests;

namespace Moxing.Core.Tests.Quantization;

public class GgufQuantizerTests
{
    /// <summary>The fixtures were written by llama-quantize from llama-k256.F32.gguf: ours must have the same tensors in
    /// the same order, each with the same type and bytes, and the same general.file_type.</summary>
    [Theory]
    [MemberData(nameof(QuantizerTests.LlamaQuantizeFixtures), MemberType = typeof(QuantizerTests))]
    public void QuantizingF32FileReproducesLlamaQuantize(string mixName)
    {
        using var folder = new Formats.TempFolder();
        var output = Path.Combine(folder.Path, "out.gguf");
        using (var source = GgufFile.Open(Fixtures.Path("gguf", "llama-k256.F32.gguf")))
        using (var pool = new WorkerPool(2))
            GgufQuantizer.Quantize(source, output, QuantizationMix.Find(mixName)!, null, pool);
        using var ours = GgufFile.Open(output);
        using var theirs = GgufFile.Open(Fixtures.Path("gguf", $"llama-k256.{mixName}.gguf"));
        Assert.Equal(theirs.Tensors.Select(t => t.Name), ours.Tensors.Select(t => t.Name));
        foreach (var expected in theirs.Tensors)
        {
            var actual = ours.Find(expected.Name)!;
            Assert.True(expected.Type == actual.Type, $"{mixName} {expected.Name}: {actual.Type}, llama-quantize chose {expected.Type}");
            Assert.Equal(expected.Shape, actual.Shape);
            Assert.True(expected.Bytes.SequenceEqual(actual.Bytes), $"{mixName} {expected.Name}: bytes differ");
        }
        Assert.Equal(theirs.Metadata.GetInt64("general.file_type"), ours.Metadata.GetInt64("general.file_type"));
        Assert.Equal(2, ours.Metadata.GetInt64("general.quantization_version"));
        foreach (var (key, _) in theirs.Metadata)
            Assert.True(ours.Metadata.ContainsKey(key), $"{mixName}: metadata key {key} is missing");
    }

    [Theory]
    [InlineData("F16")]
    [InlineData("BF16")]
    public void QuantizingToFloatFormatsMatchesConvertedFiles(string mixName)
    {
        using var folder = new Formats.TempFolder();
        var output = Path.Combine(folder.Path, "out.gguf");
        using (var source = GgufFile.Open(Fixtures.Path("gguf", "llama-k256.F32.gguf")))
            GgufQuantizer.Quantize(source, output, QuantizationMix.Find(mixName)!, null, WorkerPool.Shared);
        using var ours = GgufFile.Open(output);
        using var theirs = GgufFile.Open(Fixtures.Path("gguf", $"llama-k256.{mixName}.gguf"));
        foreach (var expected in theirs.Tensors)
        {
            var actual = ours.Find(expected.Name)!;
            Assert.Equal(expected.Type, actual.Type);
            Assert.True(expected.Bytes.SequenceEqual(actual.Bytes), $"{mixName} {expected.Name}: bytes differ");
        }
    }

    [Fact]
    public void RequantizingAQuantizedFileDecodesItFirst()
    {
        using var folder = new Formats.TempFolder();
        var output = Path.Combine(folder.Path, "q4.gguf");
        using (var source = GgufFile.Open(Fixtures.Path("gguf", "llama-k256.Q8_0.gguf")))
            GgufQuantizer.Quantize(source, output, QuantizationMix.Find("Q4_0")!, null, WorkerPool.Shared);
        using var q8 = GgufFile.Open(Fixtures.Path("gguf", "llama-k256.Q8_0.gguf"));
        using var ours = GgufFile.Open(output);
        var name = "blk.0.attn_q.weight";
        var q8Tensor = q8.Find(name)!;
        var floats = new float[q8Tensor.ElementCount];
        Dequantizer.Dequantize(DType.Q8_0, q8Tensor.Bytes, floats);
        var expected = new byte[DType.Q4_0.ByteCount(floats.Length)];
        Quantizer.Quantize(DType.Q4_0, floats, expected);
        Assert.Equal(DType.Q4_0, ours.Find(name)!.Type);
        Assert.True(expected.AsSpan().SequenceEqual(ours.Find(name)!.Bytes));
    }

    [Fact]
    public void ImportanceChangesTheEncodingAndRoundTripsThroughBothFileFormats()
    {
        using var folder = new Formats.TempFolder();
        using var source = GgufFile.Open(Fixtures.Path("gguf", "llama-k256.F32.gguf"));
        var imatrix = new ImportanceMatrix { ChunkCount = 1, ChunkSize = 4 };
        imatrix.Datasets.Add("test.txt");
        var rng = new Random(3);
        foreach (var t in source.Tensors)
        {
            if (t.Shape.Length != 2 || t.Name.StartsWith("token_embd", StringComparison.Ordinal)) continue;
            var columns = (int)t.Shape[1];
            var activations = new float[4 * columns];
            for (var i = 0; i < activations.Length; i++) activations[i] = (float)(rng.NextDouble() * 2 - 1) * (i % columns < 8 ? 10 : 1);
            imatrix.Accumulate(t.Name, activations, columns);
        }
        foreach (var file in new[] { "m.gguf", "m.dat" })
        {
            var path = Path.Combine(folder.Path, file);
            imatrix.Save(path);
            var loaded = ImportanceMatrix.Load(path);
            Assert.Equal(imatrix.Names, loaded.Names);
            foreach (var name in imatrix.Names) Assert.Equal(imatrix.WeightsFor(name), loaded.WeightsFor(name));
        }
        var output = Path.Combine(folder.Path, "q4k.gguf");
        GgufQuantizer.Quantize(source, output, QuantizationMix.Find("Q4_K_M")!, imatrix, WorkerPool.Shared);
        using var ours = GgufFile.Open(output);
        using var plain = GgufFile.Open(Fixtures.Path("gguf", "llama-k256.Q4_K_M.gguf"));
        var weighted = ours.Find("blk.0.attn_q.weight")!;
        Assert.Equal(DType.Q4_K, weighted.Type);
        Assert.False(weighted.Bytes.SequenceEqual(plain.Find("blk.0.attn_q.weight")!.Bytes));
        // The weighted search puts less error where the importance is large (the first 8 columns of each row).
        var x = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(source.Find("blk.0.attn_q.weight")!.Bytes).ToArray();
        Assert.True(WeightedError(x, weighted, imatrix.WeightsFor("blk.0.attn_q.weight")!) <
                    WeightedError(x, plain.Find("blk.0.attn_q.weight")!, imatrix.WeightsFor("blk.0.attn_q.weight")!));
    }

    [Fact]
    public void Q2_K_SWithoutImportanceIsRefused()
    {
        using var source = GgufFile.Open(Fixtures.Path("gguf", "llama-k256.F32.gguf"));
        var e = Assert.Throws<MoxingException>(() => GgufQuantizer.Quantize(source, "unused.gguf", QuantizationMix.Find("Q2_K_S")!, null, WorkerPool.Shared));
        Assert.Contains("importance", e.Message);
    }

    [Fact]
    public void BadImatrixFilesAreReported()
    {
        using var folder = new Formats.TempFolder();
        var path = Path.Combine(folder.Path, "bad.dat");
        File.WriteAllBytes(path, [1, 0, 0, 0, 200, 0, 0, 0, 1]);
        Assert.Throws<InvalidModelFileException>(() => ImportanceMatrix.Load(path));
        File.WriteAllBytes(path, [0, 0, 0, 0]);
        Assert.Throws<InvalidModelFileException>(() => ImportanceMatrix.Load(path));
    }

    [Theory]
    [InlineData(0, 32, true)]
    [InlineData(3, 32, true)]
    [InlineData(4, 32, false)]
    [InlineData(5, 32, false)]
    [InlineData(6, 32, true)]
    [InlineData(26, 32, false)]
    [InlineData(28, 32, true)]
    public void UseMoreBitsMatchesLlamaQuant(int layer, int layers, bool expected) =>
        Assert.Equal(expected, TensorTypePlanner.UseMoreBits(layer, layers));

    [Fact]
    public void OrderPutsGlobalTensorsFirstThenLayersNumerically()
    {
        string[] names = ["blk.10.attn_q.weight", "output.weight", "blk.2.ffn_up.weight", "blk.2.attn_k.weight", "token_embd.weight"];
        Array.Sort(names, TensorTypePlanner.Order);
        Assert.Equal(["output.weight", "token_embd.weight", "blk.2.attn_k.weight", "blk.2.ffn_up.weight", "blk.10.attn_q.weight"], names);
    }

    private static double WeightedError(float[] x, StoredTensor tensor, float[] importance)
    {
        var back = new float[x.Length];
        Dequantizer.Dequantize(tensor.Type, tensor.Bytes, back);
        double sum = 0;
        for (var i = 0; i < x.Length; i++) sum += importance[i % importance.Length] * (x[i] - back[i]) * (x[i] - back[i]);
        return sum;
    }
}
