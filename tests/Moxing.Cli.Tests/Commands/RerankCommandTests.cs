using System.Text.Json.Nodes;
using Moxing.Models;
using Moxing.Tests;

namespace Moxing.Cli.Tests.Commands;

/// <summary>`moxing rerank`: a BertForSequenceClassification folder of one label and its GGUF score documents as the head does in-process.</summary>
public sealed class RerankCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-rerank-cli-").FullName;

    [Fact]
    public void RanksDocumentsAsTheHeadScoresThem()
    {
        var folder = ClassifierFolder.FromBertTiny(Path.Combine(_dir, "reranker"), "LABEL_0");
        string[] documents = ["hi", "The giant panda is a bear species endemic to China.", "paris is the capital of france"];
        float[] logits;
        using (var model = ModelLoader.Load(folder))
        {
            var pairs = documents.Select(d => model.RequireTokenizer().EncodePair("what is a panda?", d)).ToArray();
            logits = model.Classifier!.Scores(model.RequireEncoder().EncodeMany([.. pairs.Select(p => p.Ids)], [.. pairs.Select(p => p.TypeIds)]));
        }
        var gguf = Path.Combine(_dir, "reranker.gguf");
        var (code, _, error) = CliRunner.Run("quantize", folder, gguf, "--type", "F32");
        Assert.True(code == 0, error);
        foreach (var path in new[] { folder, gguf })
        {
            var results = CliRunner.Json(["rerank", path, "--query", "what is a panda?", .. documents])["results"]!.AsArray();
            Assert.Equal(Enumerable.Range(0, 3).OrderByDescending(i => logits[i]), results.Select(r => (int)r!["index"]!));
            foreach (var r in results) Assert.Equal(logits[(int)r!["index"]!], (float)r["logit"]!, 4);
        }
        var (_, show, _) = CliRunner.Run("show", gguf);
        Assert.Contains("classifier      reranker (one relevance score): LABEL_0", show);
    }

    [Fact]
    public void AnEmbeddingModelIsNotAReranker()
    {
        var (code, _, error) = CliRunner.Run("rerank", Fixtures.Path("hf", "models", "bert-tiny"), "--query", "q", "d");
        Assert.Equal(1, code);
        Assert.Contains("no sequence-classification head", error);
    }

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
