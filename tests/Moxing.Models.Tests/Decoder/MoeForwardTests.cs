using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Synthesis;
using Moxing.Tests;

namespace Moxing.Models.Tests.Decoder;

/// <summary>
/// A synthetic Qwen3-MoE GGUF (Q4_K_M: repacked Q4_K expert views and other types): batched steps give each sequence its
/// logits alone, each expert runs once per step on its own tokens only, and bad expert metadata or tensors are clear errors.
/// </summary>
public sealed class MoeForwardTests() : SynthesizedModelTests("tiny-qwen3moe", "Q4_K_M", 3)
{
    [Fact]
    public void TheModelIsAMixtureWithRepackedExpertViews()
    {
        var layer = Model.Weights.Layers[0];
        Assert.Null(layer.Mlp);
        Assert.Equal(8, layer.Moe!.Experts.Length);
        Assert.All(Model.Weights.Matrices, m => Assert.Contains(m, Synth.Loaded.Tensors, ReferenceEqualityComparer.Instance));
        Assert.Equal(0, Synth.Loaded.CopiedWeightBytes);
        Alone([5]);
        Assert.Contains(Model.Weights.Linears, l => l.Repacked && l.Weight.Name.StartsWith("blk.0.ffn_gate_exps.weight[", StringComparison.Ordinal));
    }

    [Fact]
    public void MixedPrefillAndDecodeBatchMatchesEachSequenceAlone() => DecoderChecks.MixedBatchMatchesEachSequenceAlone(Model, 1e-5);

    // 20 tokens × top-2 = 40 expert rows per layer and projection, not 20 × 8: each expert is one product over its tokens.
    [Fact]
    public void EachExpertRunsOncePerStepOnItsOwnTokens()
    {
        var observer = new ProductLog();
        Model.MatMulObserver = observer;
        try
        {
            Alone(DecoderChecks.Ids(20, 9, Vocab));
        }
        finally
        {
            Model.MatMulObserver = null;
        }
        for (var layer = 0; layer < Shape.Layers; layer++)
        {
            var products = observer.Rows.Where(p => p.Name.StartsWith($"blk.{layer}.ffn_gate_exps.weight[", StringComparison.Ordinal)).ToList();
            Assert.Equal(products.Count, products.Select(p => p.Name).Distinct().Count());
            Assert.Equal(20 * Shape.ExpertsUsed, products.Sum(p => p.Rows));
            Assert.Equal(20, observer.Rows.Single(p => p.Name == $"blk.{layer}.ffn_gate_inp.weight").Rows);
        }
    }

    [Fact]
    public void MoreExpertsPerTokenThanExpertsIsAClearError()
    {
        var path = Path.Combine(Synth.Folder, "bad.gguf");
        SyntheticModelWriter.Write(Shape with { ExpertsUsed = 9 }, SynthFileType.Find("Q8_0")!, 1, path);
        var error = Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(path));
        Assert.Contains("uses 9 experts per token but has 8", error.Message);
    }

    [Fact]
    public void AnExpertCountTheTensorsDoNotHaveIsAClearError()
    {
        var path = Path.Combine(Synth.Folder, "bad.gguf");
        SyntheticModelWriter.Build(Shape, SynthFileType.Find("Q8_0")!, 1).Set("qwen3moe.expert_count", 16u).Write(path);
        var error = Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(path));
        Assert.Contains("'blk.0.ffn_gate_exps.weight' has shape [8, 128, 256], expected [16, 128, 256]", error.Message);
    }

    [Fact]
    public void AMissingExpertTensorIsAClearError()
    {
        var path = Path.Combine(Synth.Folder, "bad.gguf");
        DecoderChecks.CopyWithout(Synth.Loaded.Path, path, "blk.2.ffn_up_exps.weight");
        var error = Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(path));
        Assert.Contains("tensor 'blk.2.ffn_up_exps.weight' is missing", error.Message);
    }

    private sealed class ProductLog : IMatMulObserver
    {
        public List<(string Name, int Rows)> Rows { get; } = [];

        public void Observe(string weightName, ReadOnlySpan<float> input, int rows) => Rows.Add((weightName, rows));
    }
}
