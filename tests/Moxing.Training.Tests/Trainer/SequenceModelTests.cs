using Moxing.Training.Recipes;
using Moxing.Training.Trainer;

namespace Moxing.Training.Tests.Trainer;

public class SequenceModelTests
{
    private static string TextData(TempFolder dir) => dir.Write("texts.jsonl", string.Join('\n', Moxing.Tests.WordCueTexts.JsonLines()));

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("transformer")]
    public void TextClassifiersLearnAWordCue(string model)
    {
        using var dir = new TempFolder();
        var recipe = RecipeFile.Parse($"""
            seed: 2
            data:
              path: {TextData(dir)}
              tokenizer: words
              max_length: 8
            model:
              type: {model}
              dim: 16
              heads: 2
            training:
              epochs: 6
              batch_size: 16
              learning_rate: 0.02
            """, "text recipe");
        var run = TrainingRun.Start(recipe, Path.Combine(dir.Path, "run"));
        Assert.True(run.Train());
        var accuracy = run.Metrics.Evaluations["test"].Classification!.Accuracy;
        Assert.True(accuracy >= 0.9, $"{model} test accuracy {accuracy}");
        Assert.True(File.Exists(Path.Combine(dir.Path, "run", "vocab.json")));
    }

    [Fact]
    public void CharacterGptLowersPerplexityOnAPatternedCorpus()
    {
        using var dir = new TempFolder();
        var names = Enumerable.Range(0, 200).Select(i => i % 3 == 0 ? "anna" : i % 3 == 1 ? "bob" : "otto");
        var path = dir.Write("names.txt", string.Join('\n', names));
        var recipe = RecipeFile.Parse($"""
            seed: 1
            data:
              path: {path}
              block_size: 16
              stride: 8
              validation: 0.1
              test: 0.1
            model:
              type: gpt
              dim: 16
              heads: 2
            training:
              epochs: 8
              batch_size: 16
              optimizer: adamw
              learning_rate: 0.01
              clip_grad_norm: 1.0
              schedule: cosine
            """, "gpt recipe");
        var run = TrainingRun.Start(recipe, Path.Combine(dir.Path, "run"));
        Assert.True(run.Train());
        var perplexity = run.Metrics.Evaluations["test"].Perplexity!.Value;
        // 7 symbols (a, n, b, o, t, newline + pad/unk) give a uniform perplexity of 8; the repeating names are far more predictable.
        Assert.True(perplexity < 2.0, $"test perplexity {perplexity}");
        Assert.True(run.Metrics.Epochs[^1].TrainLoss < run.Metrics.Epochs[0].TrainLoss);
    }
}
