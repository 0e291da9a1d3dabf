using System.Net.Http.Headers;
using System.Numerics.Tensors;
using System.Text;
using System.Text.Json.Nodes;
using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Models;
using Moxing.Models.Conversion;
using Moxing.Models.Encoder;
using Moxing.Server.Hosting;
using Moxing.Server.Models;
using Moxing.Tests;

namespace Moxing.Server.Tests.Embeddings;

/// <summary>
/// GGUF encoders served as Ollama serves its embedding models: bert-tiny converted to GGUF twice — plain (mean pooling, the
/// default) and as a sentence-transformers folder declaring [CLS] pooling (written as bert.pooling_type 2) — on /v1/embeddings,
/// /api/embed (unit vectors) and /api/embeddings (the model's own output, as Ollama's runner gives it), with the capability
/// /api/show reports.
/// </summary>
public sealed class GgufEncoderEmbeddingTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-gguf-encoder-").FullName;
    private MoxingServer _server = null!;
    private readonly HttpClient _http = new();

    private string Mean => Path.Combine(_dir, "bert-mean.gguf");
    private string Cls => Path.Combine(_dir, "bert-cls.gguf");

    public async Task InitializeAsync()
    {
        var bert = Fixtures.Path("hf", "models", "bert-tiny");
        var cls = Directory.CreateDirectory(Path.Combine(_dir, "bert-cls")).FullName;
        foreach (var file in Directory.GetFiles(bert)) File.Copy(file, Path.Combine(cls, Path.GetFileName(file)));
        File.WriteAllText(Path.Combine(cls, "modules.json"), """[{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}, {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]""");
        Directory.CreateDirectory(Path.Combine(cls, "1_Pooling"));
        File.WriteAllText(Path.Combine(cls, "1_Pooling", "config.json"), """{"word_embedding_dimension": 64, "pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}""");
        foreach (var (folder, output) in new[] { (bert, Mean), (cls, Cls) })
        {
            using var input = new EncoderGgufInput(folder);
            GgufQuantizer.Quantize(input, output, QuantizationMix.Find("F32")!, null, WorkerPool.Shared);
        }
        _server = await MoxingServer.StartAsync(new ServerOptions { Host = "127.0.0.1", Port = 0, Models = [Mean, Cls, bert], ConsoleLogging = false }, Engines.ContinuousBatching);
        _http.BaseAddress = _server.Address;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<JsonNode> PostAsync(string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var response = await _http.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!;
    }

    // The encoder run in-process on the tokenized text, pooled over all tokens or taken at [CLS], normalised.
    private static float[] Expected(string path, string text, bool cls)
    {
        using var model = ModelLoader.Load(path);
        var hidden = model.RequireEncoder().Encode(model.RequireTokenizer().Encode(text, addSpecialTokens: true));
        if (!cls) return BertModel.MeanPooledNormalized(hidden, 64);
        var first = hidden[..64];
        TensorPrimitives.Divide(first, TensorPrimitives.Norm(first), first);
        return first;
    }

    private static void Close(float[] expected, JsonNode actual)
    {
        var values = actual.AsArray().Select(v => (float)v!).ToArray();
        Assert.True(TensorPrimitives.CosineSimilarity(expected, values) >= 0.999999, "cosine");
        Assert.Equal(1, TensorPrimitives.Norm(values), 4);
    }

    [Fact]
    public async Task OpenAiEmbeddingsPoolAsTheFileDeclares()
    {
        var mean = await PostAsync("/v1/embeddings", """{"model": "bert-mean", "input": ["hello world", "good morning"]}""");
        Close(Expected(Mean, "hello world", cls: false), mean["data"]![0]!["embedding"]!);
        var cls = await PostAsync("/v1/embeddings", """{"model": "bert-cls", "input": "hello world"}""");
        Close(Expected(Cls, "hello world", cls: true), cls["data"]![0]!["embedding"]!);
        Assert.True(TensorPrimitives.CosineSimilarity(Expected(Mean, "hello world", false), Expected(Cls, "hello world", true)) < 0.9999, "the two poolings differ");
    }

    [Fact]
    public async Task OllamaEmbedAndEmbeddingsServeTheGguf()
    {
        var embed = await PostAsync("/api/embed", """{"model": "bert-cls", "input": ["hello world"]}""");
        Close(Expected(Cls, "hello world", cls: true), embed["embeddings"]![0]!);
        // the legacy endpoint gives the model's own output, as Ollama's runner: a bert GGUF normalises (Ollama's default for bert),
        // a folder without a sentence-transformers Normalize module does not
        var legacy = await PostAsync("/api/embeddings", """{"model": "bert-mean", "prompt": "good morning"}""");
        Close(Expected(Mean, "good morning", cls: false), legacy["embedding"]!);
        var raw = (await PostAsync("/api/embeddings", """{"model": "bert-tiny", "prompt": "good morning"}"""))["embedding"]!.AsArray().Select(v => (float)v!).ToArray();
        using (var model = ModelLoader.Load(Fixtures.Path("hf", "models", "bert-tiny")))
        {
            var mean = BertModel.MeanPooled(model.RequireEncoder().Encode(model.RequireTokenizer().Encode("good morning", addSpecialTokens: true)), 64);
            Assert.True(LogitErrors.RelativeMax(mean, raw) <= 1e-5, "raw mean");
            Assert.NotEqual(1, TensorPrimitives.Norm(raw), 2);
        }
        var show = await PostAsync("/api/show", """{"model": "bert-mean"}""");
        Assert.Equal(["embedding"], show["capabilities"]!.AsArray().Select(c => (string)c!));
        Assert.Equal("bert", (string)show["model_info"]!["general.architecture"]!);
        Assert.Equal(1, (int)show["model_info"]!["bert.pooling_type"]!);
        var cls = await PostAsync("/api/show", """{"model": "bert-cls"}""");
        Assert.Equal(2, (int)cls["model_info"]!["bert.pooling_type"]!);
    }
}
