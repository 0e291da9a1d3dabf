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

    [Theory]
    [InlineData("llama-tiny", 48)]     // F32, head_dim in the config
    [InlineData("qwen2-tiny", 32)]     // q/k/v biases, head_dim from hidden_size
    [InlineData("qwen3-tiny-realvocab", 16)] // BF16, per-head q/k norms
    public void RemovedHeadsAndChannelsGiveTheMaskedOriginalsOutputs(string name, int channels)
    {
        using var dir = new TempFolder();
        var source = Fixtures.Path("hf", "models", name);
        var before = Config(source);
        var (heads, kv, hidden, intermediate) = ((int)before["num_attention_heads"]!, (int)before["num_key_value_heads"]!,
            (int)before["hidden_size"]!, (int)before["intermediate_size"]!);
        var headDim = before["head_dim"] is { } hd ? (int)hd : hidden / heads;
        var options = new PruneOptions(Heads: kv, Channels: channels);
        var removed = dir.File("removed");
        var report = HfFolderPruner.Prune(source, removed, options);
        var masked = dir.File("masked");
        HfFolderPruner.Prune(source, masked, options, zeroInstead: true);

        var config = Config(removed);
        Assert.Equal(heads - kv, (int)config["num_attention_heads"]!);
        Assert.Equal(kv, (int)config["num_key_value_heads"]!); // GQA: one query head leaves each group, the groups stay
        Assert.Equal(headDim, (int)config["head_dim"]!);
        Assert.Equal(intermediate - channels, (int)config["intermediate_size"]!);
        var q = report.Tensors.Single(t => t.Name == "model.layers.0.self_attn.q_proj.weight");
        Assert.Equal([(long)heads * headDim, hidden], q.ShapeBefore);
        Assert.Equal([(long)(heads - kv) * headDim, hidden], q.ShapeAfter);
        Assert.Equal([(long)hidden, intermediate - channels], report.Tensors.Single(t => t.Name == "model.layers.1.mlp.down_proj.weight").ShapeAfter);
        Assert.True(report.BytesAfter < report.BytesBefore);
        Assert.True(File.Exists(Path.Combine(removed, "tokenizer.json")));

        var expected = Logits(masked);
        var actual = Logits(removed);
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0f;
        for (var i = 0; i < expected.Length; i++) worst = MathF.Max(worst, MathF.Abs(expected[i] - actual[i]));
        Assert.True(worst < 1e-3f, $"largest logit difference {worst}");
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
