using System.Text.Json.Nodes;
using Moxing.Core;
using Moxing.Inference.Sessions;
using Moxing.Models;
using Moxing.Tests;
using Moxing.Training.Pruning;

namespace Moxing.Training.Tests.Pruning;

public class HfFolderPrunerTests
{
    private static readonly int[] Ids = [1, 17, 250, 3, 999, 42, 7, 512];

    private static float[] Logits(string folder)
    {
        using var model = ModelLoader.Load(folder);
        var decoder = model.RequireDecoder();
        var logits = new float[Ids.Length * decoder.Options.VocabSize];
        new InferenceSession(decoder, Ids.Length).PrefillAll(Ids, logits);
        return logits;
    }

    private static JsonNode Config(string folder) => JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!;

    [Fact]
    public void RemovedHeadsAndChannelsGiveTheMaskedOriginalsOutputs()
    {
        using var dir = new TempFolder();
        var source = Fixtures.Path("hf", "models", "llama-tiny");
        var options = new PruneOptions(Heads: 2, Channels: 48);
        var removed = dir.File("removed");
        var report = HfFolderPruner.Prune(source, removed, options);
        var masked = dir.File("masked");
        HfFolderPruner.Prune(source, masked, options, zeroInstead: true);

        var config = Config(removed);
        Assert.Equal(2, (int)config["num_attention_heads"]!);
        Assert.Equal(2, (int)config["num_key_value_heads"]!); // GQA: one query head left each of the 2 groups
        Assert.Equal(16, (int)config["head_dim"]!);
        Assert.Equal(128, (int)config["intermediate_size"]!);
        var q = report.Tensors.Single(t => t.Name == "model.layers.0.self_attn.q_proj.weight");
        Assert.Equal([64L, 64], q.ShapeBefore);
        Assert.Equal([32L, 64], q.ShapeAfter);
        Assert.Equal([64L, 128], report.Tensors.Single(t => t.Name == "model.layers.1.mlp.down_proj.weight").ShapeAfter);
        Assert.True(report.BytesAfter < report.BytesBefore);
        Assert.True(File.Exists(Path.Combine(removed, "tokenizer.json")));

        var expected = Logits(masked);
        var actual = Logits(removed);
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0f;
        for (var i = 0; i < expected.Length; i++) worst = MathF.Max(worst, MathF.Abs(expected[i] - actual[i]));
        Assert.True(worst < 1e-4f, $"largest logit difference {worst}");
        // The removal changes the model: the logits differ from the unpruned original's.
        var original = Logits(source);
        Assert.Contains(original.Zip(actual), p => MathF.Abs(p.First - p.Second) > 1e-3f);
    }

    [Fact]
    public void GroupedQueryConstraintsAreEnforced()
    {
        using var dir = new TempFolder();
        var source = Fixtures.Path("hf", "models", "llama-tiny");
        var odd = Assert.Throws<MoxingException>(() => HfFolderPruner.Prune(source, dir.File("a"), new PruneOptions(Heads: 1)));
        Assert.Contains("multiple of 2", odd.Message);
        Assert.Throws<MoxingException>(() => HfFolderPruner.Prune(source, dir.File("b"), new PruneOptions(Heads: 4)));
        Assert.Throws<MoxingException>(() => HfFolderPruner.Prune(source, dir.File("c"), new PruneOptions(Channels: 176)));
    }

    [Fact]
    public void TwoFourZeroesLayerProjectionsOnlyAndStillLoads()
    {
        using var dir = new TempFolder();
        var source = Fixtures.Path("hf", "models", "llama-tiny");
        var output = dir.File("sparse");
        var report = HfFolderPruner.Prune(source, output, new PruneOptions(0, SparsityPattern.Parse("2:4")));
        Assert.Equal(2 * 7, report.Tensors.Count);
        Assert.All(report.Tensors, t => Assert.Equal(0.5, t.Sparsity, 3));
        Assert.DoesNotContain(report.Tensors, t => t.Name.Contains("embed", StringComparison.Ordinal) || t.Name.Contains("lm_head", StringComparison.Ordinal));
        Assert.Equal(report.ParametersBefore, report.ParametersAfter);
        Assert.True(Logits(output).All(float.IsFinite));
    }
}
