using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Moxing.Server.Models;
using Moxing.Server.Hosting;
using Moxing.Server.Store;
using Moxing.Tests;

namespace Moxing.Cli.Tests.Commands;

/// <summary>Trains tiny models with `moxing train --register` / `moxing import RUN`, serves the store, and calls them over HTTP.</summary>
public sealed class TrainServeTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("moxing-deploy-").FullName;
    private string Home => Path.Combine(_folder, "home");
    private MoxingServer? _server;
    private HttpClient? _http;

    public async Task InitializeAsync()
    {
        Train("--data", Fixtures.Path("data", "iris.csv"), "--model", "mlp", "--hidden", "16", "--epochs", "30", "--batch-size", "16", "--lr", "0.01",
            "--register", "iris", "--home", Home, "-o", Path.Combine(_folder, "iris"));
        Train("--data", Fixtures.Path("data", "digits.csv.gz"), "--image-shape", "1,8,8", "--scale", "16", "--model", "lenet", "--channels", "4",
            "--epochs", "2", "--batch-size", "64", "--lr", "0.005", "--register", "digits", "--home", Home, "-o", Path.Combine(_folder, "digits"));
        Train("--data", TextData(), "--format", "text", "--tokenizer", "words", "--max-length", "8", "--model", "lstm", "--dim", "16",
            "--epochs", "6", "--batch-size", "16", "--lr", "0.02", "--seed", "2", "--register", "fruit", "--home", Home, "-o", Path.Combine(_folder, "fruit"));
        var names = string.Join('\n', Enumerable.Range(0, 150).Select(i => (i % 3) switch { 0 => "anna", 1 => "bob", _ => "otto" }));
        File.WriteAllText(Path.Combine(_folder, "names.txt"), names);
        Train("--data", Path.Combine(_folder, "names.txt"), "--model", "gpt", "--dim", "16", "--heads", "2", "--block-size", "16",
            "--epochs", "3", "--batch-size", "16", "--lr", "0.01", "-o", Path.Combine(_folder, "names"));
        var (code, output, error) = CliRunner.Run("import", Path.Combine(_folder, "names"), "--name", "names-gpt", "--home", Home);
        Assert.True(code == 0, error);
        Assert.Contains("imported names-gpt", output);

        var catalog = new StoreModelCatalog(ModelStore.Open(Home));
        _server = await MoxingServer.StartAsync(new ServerOptions { Port = 0, ConsoleLogging = false, UseShippedModel = false }, Engines.ContinuousBatching, catalog);
        _http = new HttpClient { BaseAddress = _server.Address };
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_server != null) await _server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private static void Train(params string[] args)
    {
        var (code, output, error) = CliRunner.Run(["train", .. args]);
        Assert.True(code == 0, error);
        if (args.Contains("--register")) Assert.Contains("registered", output);
    }

    private string TextData()
    {
        var path = Path.Combine(_folder, "texts.jsonl");
        File.WriteAllLines(path, WordCueTexts.JsonLines());
        return path;
    }

    private async Task<(HttpStatusCode Status, JsonNode Body)> Post(string path, string json)
    {
        using var response = await _http!.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private async Task<(HttpStatusCode Status, JsonNode Body)> Get(string path)
    {
        using var response = await _http!.GetAsync(path);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    [Fact]
    public async Task TextClassifierAnswersClassify()
    {
        var (status, body) = await Post("/v1/classify", """{"model": "fruit", "input": ["car apple road", "bus lane stop", "plum"]}""");
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        var data = body["data"]!.AsArray();
        Assert.Equal(["fruit", "other", "fruit"], data.Select(d => (string)d!["label"]!));
        foreach (var d in data)
        {
            var probabilities = d!["probabilities"]!.AsObject();
            Assert.Equal(["fruit", "other"], probabilities.Select(p => p.Key).Order());
            Assert.Equal(1.0, probabilities.Sum(p => (double)p.Value!), 4);
        }
        Assert.Equal(7, (int)body["usage"]!["prompt_tokens"]!);

        var (wrongKind, error) = await Post("/v1/classify", """{"model": "digits", "input": "a text"}""");
        Assert.Equal(HttpStatusCode.BadRequest, wrongKind);
        Assert.Contains("/v2/models/digits/infer", (string)error["error"]!["message"]!);
        var (missing, _) = await Post("/v1/classify", """{"model": "nope", "input": "a text"}""");
        Assert.Equal(HttpStatusCode.NotFound, missing);
    }

    [Fact]
    public async Task ImageAndTabularClassifiersAnswerTheOpenInferenceProtocol()
    {
        var (ready, readyBody) = await Get("/v2/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready);
        Assert.True((bool)readyBody["ready"]!);

        var (status, metadata) = await Get("/v2/models/digits");
        Assert.True(status == HttpStatusCode.OK, metadata.ToJsonString());
        var input = metadata["inputs"]![0]!;
        Assert.Equal("input", (string)input["name"]!);
        Assert.Equal("FP32", (string)input["datatype"]!);
        Assert.Equal([-1, 1, 8, 8], input["shape"]!.AsArray().Select(d => (int)d!));

        // Two real digits, raw 0..16 pixels as in the data file; the server scales and normalizes as training did.
        using var reader = new StreamReader(new GZipStream(File.OpenRead(Fixtures.Path("data", "digits.csv.gz")), CompressionMode.Decompress));
        var rows = new[] { reader.ReadLine()!, reader.ReadLine()! }.Select(l => l.Split(',').Select(float.Parse).ToArray()).ToArray();
        var pixels = string.Join(",", rows.SelectMany(r => r[..64]));
        var (inferStatus, result) = await Post("/v2/models/digits/infer",
            $$"""{"id": "r1", "inputs": [{"name": "input", "shape": [2, 1, 8, 8], "datatype": "FP32", "data": [{{pixels}}]}]}""");
        Assert.True(inferStatus == HttpStatusCode.OK, result.ToJsonString());
        Assert.Equal("r1", (string)result["id"]!);
        var probabilities = result["outputs"]!.AsArray().Single(o => (string)o!["name"]! == "probabilities")!;
        Assert.Equal([2, 10], probabilities["shape"]!.AsArray().Select(d => (int)d!));
        var values = probabilities["data"]!.AsArray().Select(v => (double)v!).ToArray();
        Assert.Equal(1.0, values[..10].Sum(), 4);
        Assert.Equal(1.0, values[10..].Sum(), 4);

        // Iris rows of each class: the 30-epoch MLP gets these textbook examples right.
        var (irisStatus, iris) = await Post("/v2/models/iris/infer",
            """{"inputs": [{"name": "input", "shape": [3, 4], "datatype": "FP32", "data": [[5.1, 3.5, 1.4, 0.2], [6.4, 3.2, 4.5, 1.5], [7.7, 3.0, 6.1, 2.3]]}]}""");
        Assert.True(irisStatus == HttpStatusCode.OK, iris.ToJsonString());
        var labels = iris["outputs"]!.AsArray().Single(o => (string)o!["name"]! == "label")!["data"]!.AsArray().Select(l => (string)l!);
        Assert.Equal(["setosa", "versicolor", "virginica"], labels);
    }

    [Theory]
    [InlineData("""{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "INT32", "data": [1, 2, 3, 4]}]}""", "datatype INT32")]
    [InlineData("""{"inputs": [{"name": "input", "shape": [1, 5], "datatype": "FP32", "data": [1, 2, 3, 4, 5]}]}""", "shape [1, 5]")]
    [InlineData("""{"inputs": [{"name": "input", "shape": [2, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}""", "holds 8 elements but data has 4")]
    [InlineData("""{"inputs": [{"name": "pixels", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}""", "input 'pixels' is not an input")]
    [InlineData("""{"inputs": []}""", "exactly one input")]
    public async Task BadInferRequestsSayWhatWasWrong(string request, string expected)
    {
        var (status, body) = await Post("/v2/models/iris/infer", request);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(expected, (string)body["error"]!);
    }

    [Fact]
    public async Task TrainedGptChatsOverOpenAiAndOllama()
    {
        var (status, body) = await Post("/v1/chat/completions",
            """{"model": "names-gpt", "messages": [{"role": "user", "content": "anna"}], "max_tokens": 8, "temperature": 0}""");
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        var reply = (string)body["choices"]![0]!["message"]!["content"]!;
        Assert.NotEmpty(reply);
        // Every character comes from the corpus' alphabet.
        Assert.All(reply, c => Assert.Contains(c, "anbot\n"));

        var (ollamaStatus, ollama) = await Post("/api/chat",
            """{"model": "names-gpt", "messages": [{"role": "user", "content": "bob"}], "stream": false, "options": {"num_predict": 8, "temperature": 0}}""");
        Assert.True(ollamaStatus == HttpStatusCode.OK, ollama.ToJsonString());
        Assert.NotEmpty((string)ollama["message"]!["content"]!);
    }
}
