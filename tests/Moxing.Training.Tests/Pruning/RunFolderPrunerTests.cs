using Moxing.Core;
using Moxing.Tests;
using Moxing.Training.Pruning;
using Moxing.Training.Recipes;
using Moxing.Training.Trainer;

namespace Moxing.Training.Tests.Pruning;

public class RunFolderPrunerTests
{
    internal static Recipe Digits(string model, int epochs) => RecipeFile.Parse($"""
        name: digits
        seed: 1
        data:
          path: {Fixtures.Path("data", "digits.csv.gz")}
          image_shape: [1, 8, 8]
          scale: 16
        model:
          {model}
        training:
          epochs: {epochs}
          batch_size: 32
          optimizer: adam
          learning_rate: 0.003
        """, "digits recipe");

    private static double Accuracy(string folder) => TrainingRun.Evaluate(folder, "test").Classification!.Accuracy;

    [Fact]
    public void HalfPrunedMlpFineTunesBackAndKeepsItsZeros()
    {
        using var dir = new TempFolder();
        var trained = dir.File("trained");
        Assert.True(TrainingRun.Start(Digits("type: mlp\n  hidden: [64]", 8), trained).Train());
        var dense = Accuracy(trained);
        Assert.True(dense > 0.9, $"dense accuracy {dense}");

        var pruned = dir.File("pruned");
        var report = RunFolderPruner.Prune(trained, pruned, new PruneOptions(0.9, SparsityPattern.Unstructured, PruningScope.Layer));
        Assert.Equal(["1.weight", "3.weight"], report.Tensors.Select(t => t.Name));
        Assert.All(report.Tensors, t => Assert.Equal(0.9, t.Sparsity, 2));
        var afterPruning = Accuracy(pruned);
        Assert.True(afterPruning < dense, $"90 % pruning should cost accuracy: {afterPruning} vs {dense}");

        var tuned = dir.File("tuned");
        var run = TrainingRun.Start(RecipeFile.Load(Path.Combine(pruned, "recipe.yaml")), tuned, init: pruned);
        Assert.True(run.Train());
        var recovered = Accuracy(tuned);
        Assert.True(recovered > afterPruning && recovered > dense - 0.05, $"fine-tuned {recovered}, pruned {afterPruning}, dense {dense}");
        var masks = PruningMasks.LoadFrom(tuned)!;
        foreach (var (name, p) in run.Model.NamedParameters())
            if (masks.Find(name) is { } keep)
                for (var i = 0; i < keep.Length; i++)
                    if (keep[i] == 0) Assert.Equal(0f, p.Data[i]);
        Assert.Throws<MoxingException>(() => RunFolderPruner.Prune(trained, pruned, new PruneOptions(0.5)));
    }

    [Fact]
    public void TwoFourCnnHasExactlyTwoOfEveryFourAndResumeKeepsThem()
    {
        using var dir = new TempFolder();
        var trained = dir.File("cnn");
        Assert.True(TrainingRun.Start(Digits("type: lenet\n  channels: 8", 2), trained).Train());
        var pruned = dir.File("cnn-2-4");
        var report = RunFolderPruner.Prune(trained, pruned, new PruneOptions(0, SparsityPattern.Parse("2:4")));
        // The first convolution reads 1·3·3 = 9 values per output: not a multiple of 4, left dense.
        Assert.Contains(report.Notes, n => n.StartsWith("0.weight", StringComparison.Ordinal));
        var resumed = TrainingRun.Resume(pruned, epochs: 3);
        Assert.True(resumed.Train());
        foreach (var (name, p) in resumed.Model.NamedParameters())
        {
            if (name is not ("3.weight" or "7.weight" or "9.weight")) continue;
            var values = p.Data;
            for (var g = 0; g < values.Length; g += 4)
            {
                var nonZero = 0;
                for (var j = g; j < g + 4; j++) if (values[j] != 0f) nonZero++;
                Assert.True(nonZero <= 2, $"{name} group {g / 4} has {nonZero} non-zeros");
            }
        }
        Assert.True(Accuracy(pruned) > 0.8);
    }

    [Fact]
    public void MlpChannelRemovalShrinksTheNetworkAndTheRecipe()
    {
        using var dir = new TempFolder();
        var trained = dir.File("mlp");
        Assert.True(TrainingRun.Start(Digits("type: mlp\n  hidden: [48, 24]", 4), trained).Train());
        var slim = dir.File("slim");
        var report = RunFolderPruner.Prune(trained, slim, new PruneOptions(Channels: 8));
        Assert.Equal([40, 16], RecipeFile.Load(Path.Combine(slim, "recipe.yaml")).Model.Hidden);
        Assert.True(report.ParametersAfter < report.ParametersBefore);
        Assert.True(report.BytesAfter < report.BytesBefore);
        Assert.True(Accuracy(slim) > 0.7);
        Assert.Throws<MoxingException>(() => RunFolderPruner.Prune(trained, dir.File("x"), new PruneOptions(Channels: 24)));
    }
}
