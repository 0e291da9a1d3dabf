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

    [Fact]
    public void GptHeadsAndChannelsRemovedThenFineTunedEvaluatedAndRun()
    {
        var folder = Directory.CreateTempSubdirectory("moxing-prune-gpt-").FullName;
        try
        {
            var names = Path.Combine(folder, "names.txt");
            File.WriteAllLines(names, Enumerable.Range(0, 120).Select(i => (i % 3) switch { 0 => "anna", 1 => "bob", _ => "otto" }));
            var run = Path.Combine(folder, "gpt");
            var (code, _, error) = CliRunner.Run("train", "--data", names, "--model", "gpt", "--dim", "16", "--layers", "2", "--heads", "4",
                "--block-size", "12", "--epochs", "2", "--batch-size", "16", "--lr", "0.01", "-o", run);
            Assert.True(code == 0, error);

            var pruned = Path.Combine(folder, "slim");
            var (pruneCode, report, pruneError) = CliRunner.Run("prune", run, "--heads", "1", "--channels", "8", "-o", pruned);
            Assert.True(pruneCode == 0, pruneError);
            Assert.Contains("attention heads 4 → 3 (4 wide), feed-forward channels 64 → 56 per layer", report);
            Assert.Contains("layers.0.self_attn.in_proj_weight", report);
            Assert.Contains("pruned model on the test split", report);
            var recipe = File.ReadAllText(Path.Combine(pruned, "recipe.yaml"));
            Assert.Contains("head_dim: 4", recipe);
            Assert.Contains("feed_forward: 56", recipe);

            var tuned = Path.Combine(folder, "tuned");
            var (tuneCode, tuneOutput, tuneError) = CliRunner.Run("train", "--init", pruned, "-o", tuned, "--epochs", "1");
            Assert.True(tuneCode == 0, tuneError);
            Assert.Contains("perplexity", tuneOutput);
            var (evalCode, evaluation, evalError) = CliRunner.Run("eval", tuned);
            Assert.True(evalCode == 0, evalError);
            Assert.Contains("perplexity", evaluation);

            // The fine-tuned smaller GPT exports as GPT-2 (zero heads in place of the removed one) and the engine runs it.
            var hf = Path.Combine(folder, "hf");
            var (exportCode, _, exportError) = CliRunner.Run("import", tuned, "--export", hf);
            Assert.True(exportCode == 0, exportError);
            var (runCode, reply, runError) = CliRunner.Run("run", hf, "anna", "-n", "4", "--seed", "1");
            Assert.True(runCode == 0, runError);
            Assert.False(string.IsNullOrWhiteSpace(reply));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
