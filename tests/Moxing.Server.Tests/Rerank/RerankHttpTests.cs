using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Models;
using Moxing.Models.Conversion;
using Moxing.Server.Hosting;
using Moxing.Server.Models;
using Moxing.Tests;

namespace Moxing.Server.Tests.Rerank;

/// <summary>
/// Cross-encoder rerankers and sequence classifiers served over HTTP on loopback: a BertForSequenceClassification folder of one label
/// (a reranker) and its GGUF on /v1/rerank and /rerank (Jina / Cohere shape, sorted, top_n, return_documents, raw_scores), a
/// three-label classifier on /v1/classify, and the errors a client can cause, named in the OpenAI error shape.
/// </summary>
public sealed class RerankHttpTests : IAsyncLifetime
{
    private const string Query = "what is a panda?";
    private static readonly string[] Documents =
    [
        "hi",
        "The giant panda is a bear species endemic to China.",
        "Pandas eat bamboo most of the day",
        "paris is the capital of france",
    ];

    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-rerank-").FullName;
    private MoxingServer _server = null!;
    private readonly HttpClient _http = new();

    private string Reranker => Path.Combine(_dir, "reranker");
    private string RerankerGguf => Path.Combine(_dir, "reranker-gguf.gguf");
    private string Sentiment => Path.Combine(_dir, "sentiment");

    public async Task InitializeAsync()
    {
        ClassifierFolder.FromBertTiny(Reranker, "LABEL_0");
        ClassifierFolder.FromBertTiny(Sentiment, "negative", "neutral", "positive");
        using (var input = new EncoderGgufInput(Reranker))
            GgufQuantizer.Quantize(input, RerankerGguf, QuantizationMix.Find("F32")!, null, WorkerPool.Shared);
        _server = await MoxingServer.StartAsync(new ServerOptions
        {
            Host = "127.0.0.1",
            Port = 0,
            Models = [Reranker, RerankerGguf, Sentiment, Fixtures.Path("hf", "models", "bert-tiny"), Fixtures.Path("hf", "models", "llama-tiny")],
            ConsoleLogging = false,
        }, Engines.ContinuousBatching);
        _http.BaseAddress = _server.Address;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<(int Status, JsonNode Body)> PostAsync(string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var response = await _http.PostAsync(path, content);
        return ((int)response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private static string Request(string model, string extra = "") =>
        new JsonObject { ["model"] = model, ["query"] = Query, ["documents"] = new JsonArray([.. Documents.Select(d => (JsonNode)d)]) }.ToJsonString()[..^1] + extra + "}";

    // The head run in-process on the pairs the model's tokenizer makes: logits and the tokens they took.
    private static (float[] Logits, int Tokens) Expected(string path)
    {
        using var model = ModelLoader.Load(path);
        var pairs = Documents.Select(d => model.RequireTokenizer().EncodePair(Query, d)).ToArray();
        var states = model.RequireEncoder().EncodeMany([.. pairs.Select(p => p.Ids)], [.. pairs.Select(p => p.TypeIds)]);
        return (model.Classifier!.Scores(states), pairs.Sum(p => p.Ids.Length));
    }

    private static float Sigmoid(float x) => 1 / (1 + MathF.Exp(-x));

    [Fact]
    public async Task RerankSortsDocumentsByRelevance()
    {
        var (logits, tokens) = Expected(Reranker);
        var (status, body) = await PostAsync("/v1/rerank", Request("reranker"));
        Assert.Equal(200, status);
        Assert.Equal("reranker", (string)body["model"]!);
        var results = body["results"]!.AsArray();
        Assert.Equal(Documents.Length, results.Count);
        var order = Enumerable.Range(0, Documents.Length).OrderByDescending(i => logits[i]).ToArray();
        Assert.Equal(order, results.Select(r => (int)r!["index"]!));
        Assert.True(logits.Max() - logits.Min() > 0.1, "the documents score apart");
        foreach (var r in results)
        {
            var i = (int)r!["index"]!;
            Assert.Equal(Sigmoid(logits[i]), (float)r["relevance_score"]!, 5);
            Assert.Equal(Documents[i], (string)r["document"]!["text"]!);
        }
        Assert.Equal(tokens, (int)body["usage"]!["prompt_tokens"]!);
        Assert.Equal(tokens, (int)body["usage"]!["total_tokens"]!);
    }

    [Fact]
    public async Task TopNReturnDocumentsRawScoresAndTheShortPath()
    {
        var (logits, _) = Expected(Reranker);
        var (status, body) = await PostAsync("/rerank", Request("reranker", """, "top_n": 2, "return_documents": false, "raw_scores": true"""));
        Assert.Equal(200, status);
        var results = body["results"]!.AsArray();
        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.Null(r!["document"]));
        var best = Enumerable.Range(0, Documents.Length).OrderByDescending(i => logits[i]).First();
        Assert.Equal(best, (int)results[0]!["index"]!);
        Assert.Equal(logits[best], (float)results[0]!["relevance_score"]!, 5);
        // documents as {"text": …} objects, as Cohere's and Jina's clients send them
        var (_, objects) = await PostAsync("/v1/rerank", """{"model": "reranker", "query": "what is a panda?", "documents": [{"text": "hi"}, "Pandas eat bamboo most of the day"]}""");
        Assert.Equal([logits[0], logits[2]], objects["results"]!.AsArray().OrderBy(r => (int)r!["index"]!).Select(r => MathF.Log((float)r!["relevance_score"]! / (1 - (float)r["relevance_score"]!))), new FloatTolerance(1e-3f));
    }

    [Fact]
    public async Task GgufRerankerScoresAsTheFolder()
    {
        var (logits, _) = Expected(Reranker);
        var (status, body) = await PostAsync("/v1/rerank", Request("reranker-gguf", """, "raw_scores": true"""));
        Assert.Equal(200, status);
        foreach (var r in body["results"]!.AsArray()) Assert.Equal(logits[(int)r!["index"]!], (float)r["relevance_score"]!, 4);
    }

    [Fact]
    public async Task ClassifyUsesTheHeadAsTheTextClassificationPipeline()
    {
        using var model = ModelLoader.Load(Sentiment);
        string[] texts = ["what a lovely day", "this is awful"];
        var ids = texts.Select(t => model.RequireTokenizer().Encode(t, addSpecialTokens: true)).ToArray();
        var scores = model.Classifier!.Scores(model.RequireEncoder().EncodeMany(ids));
        var (status, body) = await PostAsync("/v1/classify", """{"model": "sentiment", "input": ["what a lovely day", "this is awful"]}""");
        Assert.Equal(200, status);
        string[] labels = ["negative", "neutral", "positive"];
        for (var i = 0; i < texts.Length; i++)
        {
            var row = scores.AsSpan(i * 3, 3).ToArray();
            var exp = row.Select(v => Math.Exp(v - row.Max())).ToArray();
            var item = body["data"]![i]!;
            for (var c = 0; c < 3; c++) Assert.Equal(exp[c] / exp.Sum(), (double)item["probabilities"]![labels[c]]!, 5);
            Assert.Equal(labels[Array.IndexOf(row, row.Max())], (string)item["label"]!);
        }
        Assert.Equal(ids.Sum(x => x.Length), (int)body["usage"]!["prompt_tokens"]!);
        var (_, one) = await PostAsync("/v1/classify", """{"model": "reranker", "input": "hi"}""");
        Assert.InRange((double)one["data"]![0]!["probabilities"]!["LABEL_0"]!, 0, 1);
    }

    [Theory]
    [InlineData("""{"model": "bert-tiny", "query": "q", "documents": ["d"]}""", 400, "model", "embedding model")]
    [InlineData("""{"model": "llama-tiny", "query": "q", "documents": ["d"]}""", 400, "model", "text-generation")]
    [InlineData("""{"model": "sentiment", "query": "q", "documents": ["d"]}""", 400, "model", "3 labels")]
    [InlineData("""{"model": "reranker", "query": "q", "documents": []}""", 400, "documents", "non-empty")]
    [InlineData("""{"model": "reranker", "query": "q", "documents": [3]}""", 400, "documents", "non-empty")]
    [InlineData("""{"model": "reranker", "documents": ["d"]}""", 400, "query", "required")]
    [InlineData("""{"model": "reranker", "query": "q", "documents": ["d"], "top_n": 0}""", 400, "top_n", "'top_n' must be between 1")]
    [InlineData("""{"model": "reranker", "query": "q", "documents": ["d"], "rank_fields": ["x"]}""", 400, "rank_fields", "rank_fields")]
    [InlineData("""{"model": "nope", "query": "q", "documents": ["d"]}""", 404, "model", "nope")]
    public async Task BadRequestsAreNamed(string json, int status, string param, string message)
    {
        var (actual, body) = await PostAsync("/v1/rerank", json);
        Assert.Equal(status, actual);
        Assert.Equal(param, (string?)body["error"]!["param"]);
        Assert.Contains(message, (string)body["error"]!["message"]!);
    }

    [Fact]
    public async Task OverContextPairsAndNonClassifiersAreRefused()
    {
        var longDocument = string.Join(' ', Enumerable.Repeat("panda", 600));
        var (status, body) = await PostAsync("/v1/rerank", new JsonObject { ["model"] = "reranker", ["query"] = "q", ["documents"] = new JsonArray("short", longDocument) }.ToJsonString());
        Assert.Equal(400, status);
        Assert.Equal("context_length_exceeded", (string)body["error"]!["code"]!);
        Assert.Contains("documents 1", (string)body["error"]!["message"]!);
        Assert.Contains("512", (string)body["error"]!["message"]!);
        var (classify, error) = await PostAsync("/v1/classify", """{"model": "bert-tiny", "input": "hi"}""");
        Assert.Equal(400, classify);
        Assert.Equal("model_not_classifier", (string)error["error"]!["code"]!);
        Assert.Contains("'bert-tiny'", (string)error["error"]!["message"]!);
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
