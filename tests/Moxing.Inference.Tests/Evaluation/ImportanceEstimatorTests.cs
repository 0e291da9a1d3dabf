using Moxing.Core;
using Moxing.Core.Quantization.Importance;
using Moxing.Core.Tensors;
using Moxing.Inference.Evaluation;
using Moxing.Inference.Tests.Conformance;
using Moxing.Models;
using Moxing.Tests;

namespace Moxing.Inference.Tests.Evaluation;

public class ImportanceEstimatorTests
{
    private const int Context = 8;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SumsEqualTheSquaredInputsOfAnIndependentForward(bool includeOutput)
    {
        var folder = Fixtures.Path("hf", "models", "llama-tiny");
        using var model = ModelLoader.Load(folder);
        var tokens = Tokens(model, 3 * Context + 5);
        var (matrix, score) = ImportanceEstimator.Compute(model.RequireDecoder(), model.GgufName, tokens, bos: 1, Context, "tiny.txt",
            includeOutput: includeOutput, kvType: DType.F32);
        Assert.Equal(3, score.Chunks);

        // The double-precision oracle's matrix-vector inputs over the same chunks, renamed to GGUF names (F32 KV cache above, so
        // float32 rounding is the only difference).
        var oracle = new NaiveDecoder(folder);
        var expected = new Dictionary<string, double[]>();
        oracle.MatVecInput = (name, x) =>
        {
            var gguf = model.GgufName(name)!;
            if (!gguf.StartsWith("blk.", StringComparison.Ordinal) && !(includeOutput && gguf == "output.weight")) return;
            if (!expected.TryGetValue(gguf, out var sums)) expected[gguf] = sums = new double[x.Length];
            for (var j = 0; j < x.Length; j++) sums[j] += x[j] * x[j];
        };
        for (var c = 0; c < 3; c++)
        {
            var chunk = tokens.AsSpan(c * Context, Context).ToArray();
            chunk[0] = 1;
            oracle.Forward(chunk);
        }

        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), matrix.Names);
        Assert.Equal(2 * 7 + (includeOutput ? 1 : 0), matrix.Count);
        Assert.Contains("blk.1.ffn_down.weight", matrix.Names);
        foreach (var (name, sums) in expected)
        {
            var mean = matrix.WeightsFor(name)!;
            Assert.Equal(sums.Length, mean.Length);
            for (var j = 0; j < sums.Length; j++)
                Assert.True(Math.Abs(mean[j] * 3 * Context - sums[j]) <= 1e-5 * Math.Max(1, sums[j]), $"{name}[{j}]: {mean[j] * 3 * Context} vs {sums[j]}");
        }
        Assert.Equal(["tiny.txt"], matrix.Datasets);
        Assert.Equal((3, Context), (matrix.ChunkCount, matrix.ChunkSize));
    }

    [Fact]
    public void AGgufAndItsHuggingFaceFolderGiveTheSameMatrix()
    {
        using var hf = ModelLoader.Load(Fixtures.Path("hf", "models", "llama-tiny"));
        using var gguf = ModelLoader.Load(Fixtures.Path("gguf", "llama-tiny.F32.gguf"));
        var tokens = Tokens(hf, 2 * Context);
        var fromHf = ImportanceEstimator.Compute(hf.RequireDecoder(), hf.GgufName, tokens, 1, Context, "t").Matrix;
        var fromGguf = ImportanceEstimator.Compute(gguf.RequireDecoder(), gguf.GgufName, tokens, 1, Context, "t").Matrix;
        Assert.Equal(fromHf.Names, fromGguf.Names);
        foreach (var name in fromHf.Names)
        {
            float[] a = fromHf.WeightsFor(name)!, b = fromGguf.WeightsFor(name)!;
            for (var j = 0; j < a.Length; j++) Assert.True(Math.Abs(a[j] - b[j]) <= 1e-4f * Math.Max(1, a[j]), $"{name}[{j}]");
        }
    }

    [Fact]
    public void TheMatrixRoundTripsThroughBothFileFormats()
    {
        using var model = ModelLoader.Load(Fixtures.Path("gguf", "llama-k256.F32.gguf"));
        var (matrix, _) = ImportanceEstimator.Compute(model.RequireDecoder(), model.GgufName, Tokens(model, 2 * Context), 1, Context, "data/t.txt");
        var folder = Directory.CreateTempSubdirectory("moxing-imatrix-");
        try
        {
            foreach (var file in new[] { "m.gguf", "m.dat" })
            {
                var path = Path.Combine(folder.FullName, file);
                matrix.Save(path);
                var loaded = ImportanceMatrix.Load(path);
                Assert.Equal(matrix.Names, loaded.Names);
                Assert.Equal(["data/t.txt"], loaded.Datasets);
                Assert.Equal(2, loaded.ChunkCount);
                foreach (var name in matrix.Names) Assert.Equal(matrix.WeightsFor(name), loaded.WeightsFor(name));
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void TooShortATextIsRefusedWithTheTokensNeeded()
    {
        using var model = ModelLoader.Load(Fixtures.Path("gguf", "llama-tiny.F32.gguf"));
        var decoder = model.RequireDecoder();
        var e = Assert.Throws<MoxingException>(() => ImportanceEstimator.Compute(decoder, model.GgufName, Tokens(model, 2 * Context - 1), 1, Context, "t"));
        Assert.Contains($"needs at least {2 * Context}", e.Message);
        Assert.Null(decoder.MatMulObserver);
    }

    private static int[] Tokens(LoadedModel model, int count)
    {
        var rng = new Random(11);
        return Enumerable.Range(0, count).Select(_ => rng.Next(3, model.RequireDecoder().Options.VocabSize)).ToArray();
    }
}
