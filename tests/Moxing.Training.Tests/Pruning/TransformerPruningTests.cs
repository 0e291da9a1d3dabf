using Moxing.Core;
using Moxing.Core.Autograd;
using Moxing.Nn.Modules;
using Moxing.Training.Models;
using Moxing.Training.Pruning;
using Moxing.Training.Recipes;
using Moxing.Training.Trainer;

namespace Moxing.Training.Tests.Pruning;

public class TransformerPruningTests
{
    // A 2-layer, 4-head, 16-wide gpt on names or transformer classifier on word-cue texts, trained for an epoch.
    internal static string Train(TempFolder dir, string type, int epochs = 1)
    {
        var data = type == "gpt"
            ? $"path: {dir.Write("names.txt", string.Join('\n', Enumerable.Range(0, 120).Select(i => (i % 3) switch { 0 => "anna", 1 => "bob", _ => "otto" })))}\n  block_size: 12\n  test: 0.2"
            : $"path: {dir.Write("texts.jsonl", string.Join('\n', Moxing.Tests.WordCueTexts.JsonLines()))}\n  tokenizer: words\n  max_length: 8";
        var recipe = RecipeFile.Parse($"""
            seed: 4
            data:
              {data}
            model:
              type: {type}
              dim: 16
              layers: 2
              heads: 4
            training:
              epochs: {epochs}
              batch_size: 16
              learning_rate: 0.01
            """, $"{type} recipe");
        var folder = dir.File(type);
        Assert.True(TrainingRun.Start(recipe, folder).Train());
        return folder;
    }

    private static float[] Outputs(Layer model, Moxing.Training.Data.Dataset examples, int count)
    {
        model.Eval();
        var inputs = examples.Inputs.AsSpan(0, count * examples.ExampleSize).ToArray();
        using (GradMode.NoGrad()) return model.Forward(new Tensor(inputs, [count, .. examples.ExampleShape])).Data.ToArray();
    }

    [Theory]
    [InlineData("gpt")]
    [InlineData("transformer")]
    public void RemovedHeadsAndChannelsGiveTheZeroedOriginalsOutputs(string type)
    {
        using var dir = new TempFolder();
        var trained = Train(dir, type);
        var (_, data, model) = TrainingRun.Reopen(trained);
        var original = (TransformerNetwork)model;
        var plan = TransformerStructurePlan.Create(original, heads: 1, channels: 8);

        var slim = dir.File("slim");
        var report = RunFolderPruner.Prune(trained, slim, new PruneOptions(Heads: 1, Channels: 8));
        var recipe = RecipeFile.Load(Path.Combine(slim, "recipe.yaml")).Model;
        Assert.Equal((3, 4, 56), (recipe.Heads, recipe.HeadDim!.Value, recipe.FeedForward!.Value));
        // Per layer: in_proj, its bias, out_proj, linear1, its bias and linear2 shrink.
        Assert.Equal(12, report.Tensors.Count);
        Assert.Contains(report.Tensors, t => t.Name == "layers.1.self_attn.in_proj_weight" && t.ShapeAfter.SequenceEqual([36L, 16]));
        Assert.True(report.BytesAfter < report.BytesBefore);
        Assert.Equal(report.ParametersBefore - 2 * (4 * 16 * 4 + 4 * 3 + 8 * 16 * 2 + 8), report.ParametersAfter);
        var (_, _, pruned) = TrainingRun.Reopen(slim);

        var examples = data.Splits.Test;
        var count = Math.Min(8, examples.Count);
        var dense = Outputs(original, examples, count);
        for (var layer = 0; layer < original.Blocks.Count; layer++)
        {
            var (block, heads, channels) = (original.Blocks[layer], plan.KeptHeads[layer], plan.KeptChannels[layer]);
            var o = block.SelfAttn.OutProj.Weight;
            var norms = Enumerable.Range(0, 4).Select(h => Enumerable.Range(0, 16).Sum(r => Enumerable.Range(h * 4, 4).Sum(c => (double)o.At(r, c) * o.At(r, c)))).ToArray();
            var removed = Enumerable.Range(0, 4).Except(heads).Single();
            Assert.All(heads, h => Assert.True(norms[h] >= norms[removed], $"layer {layer}: kept head {h} is weaker than removed head {removed}"));
            for (var r = 0; r < 16; r++)
            {
                for (var c = 0; c < 4; c++) o.Data[r * 16 + removed * 4 + c] = 0f;
                for (var c = 0; c < 64; c++) if (!channels.Contains(c)) block.Linear2.Weight.Data[r * 64 + c] = 0f;
            }
        }
        var zeroed = Outputs(original, examples, count);
        var smaller = Outputs(pruned, examples, count);
        Assert.Equal(zeroed.Length, smaller.Length);
        Assert.True(dense.Zip(zeroed).Max(p => Math.Abs(p.First - p.Second)) > 1e-3, "removing a head and 8 channels should change the outputs");
        for (var i = 0; i < zeroed.Length; i++) Assert.True(Math.Abs(zeroed[i] - smaller[i]) <= 1e-5f, $"output {i}: pruned {smaller[i]}, zeroed original {zeroed[i]}");

        // The smaller run fine-tunes from its recipe and weights.
        var resumed = TrainingRun.Resume(slim, epochs: 2);
        Assert.True(resumed.Train());
        Assert.Equal(3, ((TransformerNetwork)resumed.Model).Blocks[0].SelfAttn.NumHeads);
    }

    [Fact]
    public void BadStructuredRequestsAreRefusedWithTheReason()
    {
        using var dir = new TempFolder();
        var gpt = Train(dir, "gpt");
        string Refusal(string run, PruneOptions options) =>
            Assert.Throws<MoxingException>(() => RunFolderPruner.Prune(run, dir.File($"out-{Guid.NewGuid():N}"), options)).Message;

        Assert.Contains("every one of the 4 attention heads", Refusal(gpt, new PruneOptions(Heads: 4)));
        Assert.Contains("every one of the 64 feed-forward channels", Refusal(gpt, new PruneOptions(Channels: 64)));
        var masked = dir.File("masked");
        RunFolderPruner.Prune(gpt, masked, new PruneOptions(0.5));
        Assert.Contains("already magnitude-pruned", Refusal(masked, new PruneOptions(Heads: 1)));

        var mlp = dir.File("mlp");
        Assert.True(TrainingRun.Start(RunFolderPrunerTests.Digits("type: mlp\n  hidden: [8]", 1), mlp).Train());
        Assert.Contains("model 'mlp' has no attention", Refusal(mlp, new PruneOptions(Heads: 1)));

        var input = new ModelInput([6], Moxing.Training.Data.InputKind.Tokens, 5, 5, TrainingTask.LanguageModel);
        foreach (var (size, message) in new[]
        {
            (new TransformerSize(16, 1, 4, HeadDim: 0), "model.head_dim must be positive"),
            (new TransformerSize(16, 1, 4, FeedForward: -1), "model.feed_forward must be positive"),
            (new TransformerSize(10, 1, 4), "model.dim 10 must be a multiple of model.heads 4"),
        })
            Assert.Contains(message, Assert.Throws<MoxingException>(() => new TransformerNetwork(input, size, 0, 0, causal: true, new Random(1))).Message);
        // An explicit head width frees the head count from the model width.
        Assert.Equal([54, 10], new TransformerNetwork(input, new TransformerSize(10, 1, 3, HeadDim: 6), 0, 0, causal: true, new Random(1)).Blocks[0].SelfAttn.InProjWeight.Shape);
    }
}
