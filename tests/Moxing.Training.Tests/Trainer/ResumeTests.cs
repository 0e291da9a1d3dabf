using Moxing.Core.Formats.Safetensors;
using Moxing.Training.Recipes;
using Moxing.Training.Trainer;

namespace Moxing.Training.Tests.Trainer;

public class ResumeTests
{
    private static Recipe Recipe(string optimizer) => RecipeFile.Parse($"""
        seed: 4
        data:
          path: {Moxing.Tests.Fixtures.Path("data", "iris.csv")}
        model:
          type: mlp
          hidden: [16]
        training:
          epochs: 2
          batch_size: 8
          optimizer: {optimizer}
          momentum: 0.9
          learning_rate: 0.01
          schedule: cosine
        """, "iris");

    private static float[] Weights(string runFolder)
    {
        using var file = SafetensorsFile.Open(new RunFolder(runFolder).Checkpoint);
        return file.Tensors.OrderBy(t => t.Name, StringComparer.Ordinal).SelectMany(t => Moxing.Core.Autograd.Tensor.FromStored(t).Data.ToArray()).ToArray();
    }

    // Stops the run after its first epoch (as Ctrl+C would), then resumes it in a new TrainingRun.
    private static void TrainInTwoSessions(Recipe recipe, string folder, bool dropOptimizerState = false)
    {
        using var stop = new CancellationTokenSource();
        Assert.False(TrainingRun.Start(recipe, folder).Train(stop.Token, epochFinished: _ => stop.Cancel()));
        Assert.True(File.Exists(new RunFolder(folder).OptimizerState));
        if (dropOptimizerState) File.Delete(new RunFolder(folder).OptimizerState);
        var resumed = TrainingRun.Resume(folder);
        Assert.Equal(1, resumed.CompletedEpochs);
        Assert.True(resumed.Train());
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("adamw")]
    [InlineData("sgd")]
    [InlineData("rmsprop")]
    [InlineData("adagrad")]
    public void ResumingAfterEpochOneGivesTheWeightsOfAnUninterruptedRun(string optimizer)
    {
        using var dir = new TempFolder();
        Assert.True(TrainingRun.Start(Recipe(optimizer), dir.File("whole")).Train());
        TrainInTwoSessions(Recipe(optimizer), dir.File("resumed"));
        Assert.Equal(Weights(dir.File("whole")), Weights(dir.File("resumed")));
    }

    [Fact]
    public void WithoutTheOptimizerStateTheResumedRunDiffers()
    {
        using var dir = new TempFolder();
        Assert.True(TrainingRun.Start(Recipe("adam"), dir.File("whole")).Train());
        TrainInTwoSessions(Recipe("adam"), dir.File("fresh-moments"), dropOptimizerState: true);
        Assert.NotEqual(Weights(dir.File("whole")), Weights(dir.File("fresh-moments")));
    }

    [Fact]
    public void OptimizerStateOfAnotherOptimizerIsRejected()
    {
        using var dir = new TempFolder();
        var folder = dir.File("run");
        using var stop = new CancellationTokenSource();
        TrainingRun.Start(Recipe("adam"), folder).Train(stop.Token, epochFinished: _ => stop.Cancel());
        var recipe = RecipeFile.Load(new RunFolder(folder).Recipe);
        recipe.Training.Optimizer = "sgd";
        RecipeFile.Save(recipe, new RunFolder(folder).Recipe);
        var error = Assert.Throws<Moxing.Core.InvalidModelFileException>(() => TrainingRun.Resume(folder));
        Assert.Contains("Adam state", error.Message);
    }
}
