using Moxing.Core.Autograd;
using Moxing.Core.Tensors;
using Moxing.Models;
using Moxing.Models.Decoder;
using Moxing.Training.Data.Text;
using Moxing.Training.Export;
using Moxing.Training.Models;
using Moxing.Training.Recipes;
using Moxing.Training.Trainer;

namespace Moxing.Training.Tests.Export;

public class Gpt2ExportTests
{
    private static TrainingRun TrainGpt(TempFolder dir, string tokenizer, string corpus)
    {
        var recipe = RecipeFile.Parse($"""
            seed: 3
            data:
              path: {dir.Write("corpus.txt", corpus)}
              tokenizer: {tokenizer}
              block_size: 12
              stride: 6
              validation: 0.1
              test: 0.1
            model:
              type: gpt
              dim: 16
              layers: 2
              heads: 2
              dropout: 0.1
            training:
              epochs: 2
              batch_size: 8
              optimizer: adamw
              learning_rate: 0.01
            """, "gpt recipe");
        var run = TrainingRun.Start(recipe, dir.File("run"));
        Assert.True(run.Train());
        return run;
    }

    [Theory]
    [InlineData("chars", "anna\nbob\notto\nélise\nzoë\n")]
    [InlineData("chars", "anna\nbob\notto\nmary-jo\nzoe\n")]
    [InlineData("words", "the cat sat on the mat.\nthe dog ran, the cat sat!\n")]
    public void ExportedGpt2FolderReproducesTheTrainersLogits(string tokenizer, string lines)
    {
        using var dir = new TempFolder();
        var run = TrainGpt(dir, tokenizer, string.Concat(Enumerable.Repeat(lines, 30)));
        var folder = dir.File("hf");
        Assert.Equal(ExportKind.LanguageModel, RunExport.Write(run.Folder.Path, folder));
        foreach (var file in new[] { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json" })
            Assert.True(File.Exists(Path.Combine(folder, file)), file);

        // The exported best weights, in the trainer's own network.
        var gpt = (TransformerNetwork)run.Model;
        gpt.Load(run.Folder.Best);
        gpt.Eval();
        var encoder = (TokenVocabulary)run.Data.Encoder!;
        var text = tokenizer == "words" ? "the dog sat on the cat ." : lines.Contains('ë') ? "\nanna\nzoë\nb" : "\nmary-jo\nzoe";
        var ids = encoder.Encode(text);
        float[] expected;
        using (GradMode.NoGrad()) expected = gpt.Forward(new Tensor(Array.ConvertAll(ids, i => (float)i), 1, ids.Length)).Data.ToArray();

        using var loaded = ModelLoader.Load(folder);
        Assert.Equal("gpt2", loaded.Architecture);
        // ASCII characters are written in GPT-2's byte-level form (the newline is "Ċ"), others as they are.
        var tokenizerJson = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "tokenizer.json")))!;
        var vocabularyJson = tokenizerJson["model"]!["vocab"]!.AsObject();
        if (tokenizer == "chars") Assert.Equal(!lines.Contains('ë'), vocabularyJson.ContainsKey("Ċ") && !vocabularyJson.ContainsKey("\n"));
        // The exported tokenizer.json tokenizes and detokenizes exactly as the training vocabulary does.
        var tokenizerIds = loaded.RequireTokenizer().Encode(text, addSpecialTokens: false);
        Assert.Equal(ids, tokenizerIds);
        Assert.Equal(encoder.Decode(ids), loaded.RequireTokenizer().Decode(ids, skipSpecialTokens: true));
        Assert.Equal(encoder.VocabularySize, loaded.RequireDecoder().Options.VocabSize);
        AssertEngineLogits(loaded, ids, expected);
    }

    // The engine's logits at every position of ids equal the trainer's within 1e-4.
    private static void AssertEngineLogits(LoadedModel loaded, int[] ids, float[] expected)
    {
        var decoder = loaded.RequireDecoder();
        var pool = decoder.CreateBlockPool(4L << 20, DType.F32);
        var scratch = decoder.CreateScratch(ids.Length);
        using var sequence = new SequenceKv(pool, ids.Length);
        var actual = new float[ids.Length * decoder.Options.VocabSize];
        decoder.Forward(ids, sequence, scratch, actual, allLogits: true);
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-4f, $"logit {i}: engine {actual[i]}, trainer {expected[i]}");
    }

    [Fact]
    public void PrunedGptExportsWithZeroHeadsInPlaceOfTheRemovedOnes()
    {
        using var dir = new TempFolder();
        var run = TrainGpt(dir, "chars", string.Concat(Enumerable.Repeat("anna\nbob\notto\n", 30)));
        var slim = dir.File("slim");
        Moxing.Training.Pruning.RunFolderPruner.Prune(run.Folder.Path, slim, new Moxing.Training.Pruning.PruneOptions(Heads: 1, Channels: 8));
        var folder = dir.File("hf");
        Assert.Equal(ExportKind.LanguageModel, RunExport.Write(slim, folder));
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!;
        // One 8-wide head of two is left; GPT-2 has n_embd / n_head-wide heads, so the second is written as zeros.
        Assert.Equal((2, 56), ((int)config["n_head"]!, (int)config["n_inner"]!));

        var (_, data, model) = TrainingRun.Reopen(slim);
        var gpt = (TransformerNetwork)model;
        Assert.Equal(1, gpt.Blocks[0].SelfAttn.NumHeads);
        gpt.Eval();
        var ids = data.Encoder!.Encode("\nbob\notto\nan");
        float[] expected;
        using (GradMode.NoGrad()) expected = gpt.Forward(new Tensor(Array.ConvertAll(ids, i => (float)i), 1, ids.Length)).Data.ToArray();
        using var loaded = ModelLoader.Load(folder);
        AssertEngineLogits(loaded, ids, expected);
    }

    [Theory]
    [InlineData(3, 8, "are wider together (24) than its width 16")]
    [InlineData(2, 5, "do not divide its width 16")]
    public void HeadsGpt2CannotExpressAreRefused(int heads, int headDim, string reason)
    {
        using var dir = new TempFolder();
        var input = new ModelInput([4], Moxing.Training.Data.InputKind.Tokens, 5, 5, TrainingTask.LanguageModel);
        var gpt = new TransformerNetwork(input, new TransformerSize(16, 1, heads, HeadDim: headDim), 0, 0, causal: true, new Random(1));
        var error = Assert.Throws<Moxing.Core.MoxingException>(() =>
            Gpt2Export.Write(gpt, TokenVocabulary.Build(["ab"], TokenLevel.Characters), null, true, dir.File("hf")));
        Assert.Contains(reason, error.Message);
        Assert.Contains("GPT-2's config fixes the head width at n_embd / n_head", error.Message);
    }

    [Fact]
    public void LineCorpusChatTemplateStartsANewDocumentAndNewlineEndsGeneration()
    {
        using var dir = new TempFolder();
        var run = TrainGpt(dir, "chars", string.Concat(Enumerable.Repeat("anna\nbob\notto\n", 30)));
        var folder = dir.File("hf");
        RunExport.Write(run.Folder.Path, folder);
        using var loaded = ModelLoader.Load(folder);
        var newline = run.Data.Encoder!.Encode("\n");
        Assert.Equal(newline, loaded.EosTokenIds);
        var messages = System.Text.Json.Nodes.JsonNode.Parse("""[{"role": "user", "content": "anna"}]""");
        var prompt = loaded.ChatTemplates!.Render(messages, null, addGenerationPrompt: true);
        Assert.Equal("anna\n", prompt);
    }

    [Fact]
    public void ClassifierRunsDoNotExportAsLanguageModels()
    {
        using var dir = new TempFolder();
        var recipe = RecipeFile.Parse($"""
            data:
              path: {Moxing.Tests.Fixtures.Path("data", "iris.csv")}
            model:
              type: mlp
              hidden: [8]
            training:
              epochs: 1
            """, "iris");
        var run = TrainingRun.Start(recipe, dir.File("run"));
        run.Train();
        var error = Assert.Throws<Moxing.Core.MoxingException>(() => Gpt2Export.Write(
            new TransformerNetwork(new ModelInput([4], Moxing.Training.Data.InputKind.Tokens, 5, 2, TrainingTask.Classification), new TransformerSize(8, 1, 2), 0, 0, causal: false, new Random(1)),
            TokenVocabulary.Build(["ab"], TokenLevel.Characters), null, true, dir.File("hf")));
        Assert.Contains("only a GPT", error.Message);
        Assert.Equal(ExportKind.Classifier, RunExport.Write(run.Folder.Path, dir.File("iris")));
    }
}
