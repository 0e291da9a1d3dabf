using Moxing.Tests;

namespace Moxing.Cli.Tests.Commands;

public class PruneDistillCommandTests
{
    [Fact]
    public void PruneFineTuneAndDistillFromTheCommandLine()
    {
        var folder = Directory.CreateTempSubdirectory("moxing-prune-").FullName;
        try
        {
            var run = Path.Combine(folder, "iris");
            var (code, _, error) = CliRunner.Run("train", "--data", Fixtures.Path("data", "iris.csv"), "--model", "mlp", "--hidden", "16",
                "--epochs", "8", "--batch-size", "16", "--lr", "0.01", "-o", run);
            Assert.True(code == 0, error);

            var pruned = Path.Combine(folder, "pruned");
            var json = CliRunner.Json("prune", run, "-o", pruned, "--pattern", "2:4", "--json");
            Assert.Equal(0.5, (double)json["sparsity"]!, 3);
            Assert.Equal(2, json["tensors"]!.AsArray().Count);
            var (badCode, _, badError) = CliRunner.Run("prune", run, "-o", Path.Combine(folder, "x"), "--pattern", "2:4", "--sparsity", "0.7");
            Assert.NotEqual(0, badCode);
            Assert.Contains("fixes the sparsity", badError);

            var (tuneCode, tuned, tuneError) = CliRunner.Run("train", "--init", pruned, "-o", Path.Combine(folder, "tuned"), "--epochs", "3");
            Assert.True(tuneCode == 0, tuneError);
            Assert.Contains("test: 30 examples", tuned);
            Assert.True(File.Exists(Path.Combine(folder, "tuned", "masks.safetensors")));

            var recipe = Path.Combine(folder, "student.yaml");
            File.WriteAllText(recipe, "model:\n  type: mlp\n  hidden: [4]\ntraining:\n  epochs: 3\n  batch_size: 16\n");
            var (distillCode, distilled, distillError) = CliRunner.Run("distill", recipe, "--teacher", run, "--temperature", "3", "-o", Path.Combine(folder, "student"));
            Assert.True(distillCode == 0, distillError);
            Assert.Contains("distilling", distilled);
            Assert.Contains("test: 30 examples", distilled);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
