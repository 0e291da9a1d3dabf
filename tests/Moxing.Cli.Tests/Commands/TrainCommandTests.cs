using System.Text.Json.Nodes;
using Moxing.Tests;

namespace Moxing.Cli.Tests.Commands;

public class TrainCommandTests
{
    [Fact]
    public void TrainWithFlagsThenEvalTheRunFolder()
    {
        var folder = Directory.CreateTempSubdirectory("moxing-train-").FullName;
        try
        {
            var run = Path.Combine(folder, "wine");
            var (code, output, error) = CliRunner.Run("train", "--data", Fixtures.Path("data", "wine_data.csv"), "--model", "mlp", "--hidden", "16",
                "--epochs", "8", "--batch-size", "16", "--lr", "0.01", "-o", run);
            Assert.True(code == 0, error);
            Assert.Contains("epoch 8: loss", output);
            Assert.Contains("test: 36 examples", output);

            var json = CliRunner.Json("eval", run, "--split", "test", "--json");
            Assert.Equal("test", (string)json["split"]!);
            Assert.True((double)json["accuracy"]! >= 0.85, json.ToJsonString());
            Assert.Equal(3, json["classes"]!.AsArray().Count);

            var (resumeCode, resumed, resumeError) = CliRunner.Run("train", "--resume", run, "--epochs", "9");
            Assert.True(resumeCode == 0, resumeError);
            Assert.Contains("resuming", resumed);
            Assert.Contains("epoch 9: loss", resumed);
            Assert.DoesNotContain("epoch 8:", resumed);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void TrainFromARecipeFile()
    {
        var folder = Directory.CreateTempSubdirectory("moxing-train-").FullName;
        try
        {
            var recipe = Path.Combine(folder, "digits.yaml");
            File.WriteAllText(recipe, $"""
                name: digits
                data:
                  path: {Fixtures.Path("data", "digits.csv.gz")}
                  image_shape: [1, 8, 8]
                  scale: 16
                model:
                  type: lenet
                  channels: 8
                training:
                  epochs: 2
                  batch_size: 64
                  learning_rate: 0.005
                """);
            var run = Path.Combine(folder, "run");
            var (code, output, error) = CliRunner.Run("train", recipe, "-o", run);
            Assert.True(code == 0, error);
            Assert.Contains("lenet:", output);
            var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")))!;
            Assert.True((double)metrics["evaluations"]!["test"]!["accuracy"]! > 0.7);
            Assert.True(File.Exists(Path.Combine(run, "accuracy.png")));

            // The same test split with every weight stored as Q8_0 / Q4_K (from the Q4_K_M name) and read back.
            var f32 = CliRunner.Json("eval", run, "--json");
            var q8 = CliRunner.Json("eval", run, "--weight-type", "Q8_0", "--json");
            var q4 = CliRunner.Json("eval", run, "--weight-type", "Q4_K_M", "--json");
            Assert.Equal(("F32", "Q8_0", "Q4_K"), ((string)f32["weight_type"]!, (string)q8["weight_type"]!, (string)q4["weight_type"]!));
            Assert.True((long)q8["weight_bytes"]! * 3 < (long)f32["weight_bytes"]!, q8.ToJsonString());
            Assert.True((long)q4["weight_bytes"]! < (long)q8["weight_bytes"]!, q4.ToJsonString());
            Assert.True(Math.Abs((double)q8["accuracy"]! - (double)f32["accuracy"]!) <= 0.02, $"{q8["accuracy"]} vs {f32["accuracy"]}");
            Assert.NotEqual((double)f32["loss"]!, (double)q4["loss"]!);
            Assert.True((double)f32["examples_per_second"]! > 0);
            var (badCode, _, badError) = CliRunner.Run("eval", run, "--weight-type", "Q9_9");
            Assert.Equal(1, badCode);
            Assert.Contains("--weight-type: unknown type 'Q9_9'", badError);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void BadInputsAreClearErrors()
    {
        var (code, _, error) = CliRunner.Run("train");
        Assert.Equal(1, code);
        Assert.Contains("give a RECIPE.yaml or --data FILE", error);

        (code, _, error) = CliRunner.Run("train", "--data", Fixtures.Path("data", "iris.csv"), "--model", "resnet50", "-o", Path.Combine(Path.GetTempPath(), "moxing-no-run-" + Guid.NewGuid()));
        Assert.Equal(1, code);
        Assert.Contains("unknown model.type 'resnet50'", error);

        var bad = Path.Combine(Path.GetTempPath(), $"moxing-bad-{Guid.NewGuid()}.yaml");
        File.WriteAllText(bad, "training:\n  epochz: 3\n");
        try
        {
            (code, _, error) = CliRunner.Run("train", bad);
            Assert.Equal(1, code);
            Assert.Contains(bad, error);
            Assert.Contains("line 2", error);
        }
        finally
        {
            File.Delete(bad);
        }

        (code, _, error) = CliRunner.Run("eval", "/nonexistent/run");
        Assert.Equal(1, code);
        Assert.Contains("not a run folder", error);
    }
}
