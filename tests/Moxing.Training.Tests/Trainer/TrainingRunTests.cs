using System.Text.Json.Nodes;
using Moxing.Tests;
using Moxing.Training.Recipes;
using Moxing.Training.Trainer;

namespace Moxing.Training.Tests.Trainer;

public class TrainingRunTests
{
    private static Recipe Iris(int epochs) => RecipeFile.Parse($"""
        name: iris
        seed: 3
        data:
          path: {Fixtures.Path("data", "iris.csv")}
          validation: 0.2
          test: 0.2
        model:
          type: mlp
          hidden: [16]
        training:
          epochs: {epochs}
          batch_size: 16
          optimizer: adam
          learning_rate: 0.02
        """, "iris recipe");

    [Fact]
    public void IrisMlpLearnsWritesRunFolderAndResumes()
    {
        using var dir = new TempFolder();
        var folder = Path.Combine(dir.Path, "run");
        var run = TrainingRun.Start(Iris(epochs: 3), folder);
        var batches = 0;
        Assert.True(run.Train(progress: _ => batches++));
        Assert.Equal(3 * 6, batches);
        Assert.Equal(3, run.CompletedEpochs);
        foreach (var f in new[] { "recipe.yaml", "model.safetensors", "best.safetensors", "state.json", "metrics.json", "metrics.csv", "loss.png", "accuracy.png" })
            Assert.True(File.Exists(Path.Combine(folder, f)), f);

        var resumed = TrainingRun.Resume(folder, epochs: 25);
        Assert.Equal(3, resumed.CompletedEpochs);
        Assert.True(resumed.Train());
        Assert.Equal(25, resumed.Metrics.Epochs.Count);
        Assert.Equal(Enumerable.Range(1, 25), resumed.Metrics.Epochs.Select(e => e.Epoch));
        var test = resumed.Metrics.Evaluations["test"];
        Assert.Equal(30, test.Examples);
        Assert.True(test.Classification!.Accuracy >= 0.9, $"iris test accuracy {test.Classification.Accuracy}");
        Assert.True(resumed.Metrics.Epochs[^1].TrainLoss < resumed.Metrics.Epochs[0].TrainLoss);

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "metrics.json")))!;
        Assert.Equal(3, json["evaluations"]!["test"]!["confusion_matrix"]!.AsArray().Count);

        var again = TrainingRun.Evaluate(folder, "test");
        Assert.Equal(test.Loss, again.Loss, 6);
        Assert.Equal(test.Classification.Accuracy, again.Classification!.Accuracy);
    }

    [Fact]
    public void CancelledRunKeepsLastFinishedEpoch()
    {
        using var dir = new TempFolder();
        var folder = Path.Combine(dir.Path, "run");
        var run = TrainingRun.Start(Iris(epochs: 5), folder);
        using var cts = new CancellationTokenSource();
        var finished = run.Train(cts.Token, progress: p => { if (p.Epoch == 2 && p.Batch == 3) cts.Cancel(); });
        Assert.False(finished);
        Assert.Equal(1, RunState.Load(Path.Combine(folder, "state.json")).CompletedEpochs);
        Assert.Single(Moxing.Training.Metrics.RunMetrics.Load(Path.Combine(folder, "metrics.json")).Epochs);
        Assert.Throws<Moxing.Core.MoxingException>(() => TrainingRun.Start(Iris(5), folder));
    }

    [Fact]
    public void DiabetesLinearRegressionWithSgd()
    {
        using var dir = new TempFolder();
        var recipe = RecipeFile.Parse($"""
            seed: 1
            data:
              path: {Fixtures.Path("data", "diabetes_data_raw.csv.gz")}
              labels: {Fixtures.Path("data", "diabetes_target.csv.gz")}
            model:
              type: linear
            training:
              epochs: 30
              batch_size: 16
              optimizer: sgd
              learning_rate: 0.01
              momentum: 0.9
            """, "diabetes");
        var run = TrainingRun.Start(recipe, Path.Combine(dir.Path, "run"));
        Assert.True(run.Train());
        var r2 = run.Metrics.Evaluations["test"].Regression!.R2;
        Assert.True(r2 > 0.35, $"R² {r2}");
    }
}
