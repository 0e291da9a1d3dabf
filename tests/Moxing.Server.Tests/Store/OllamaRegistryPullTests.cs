using System.Net;
using Moxing.Core;
using Moxing.Server.Store;
using Moxing.Server.Store.Hub;
using Moxing.Server.Store.Registry;
using Moxing.Tests;

namespace Moxing.Server.Tests.Store;

public sealed class OllamaRegistryPullTests : IAsyncLifetime
{
    private const string Gguf = "qwen3-tiny-realvocab.Q8_0.gguf";
    private const string ParamsJson = """{"stop":["<|im_start|>","<|im_end|>"],"temperature":0.6,"top_k":20,"num_ctx":512,"mirostat":0}""";
    private readonly TempStore _temp = new();
    private FakeOllamaRegistry _registry = null!;
    private string _modelDigest = "";

    private ModelStore Store => _temp.Store;

    public async Task InitializeAsync()
    {
        _registry = await FakeOllamaRegistry.StartAsync();
        _modelDigest = _registry.Add("library/qwen3-tiny:q8_0",
            (FakeOllamaRegistry.Model, File.ReadAllBytes(Fixtures.Path("gguf", Gguf))),
            FakeOllamaRegistry.Text(FakeOllamaRegistry.Template, "{{ .Prompt }}"),
            FakeOllamaRegistry.Text(FakeOllamaRegistry.Params, ParamsJson),
            FakeOllamaRegistry.Text(FakeOllamaRegistry.SystemPrompt, "You are a tiny test model."),
            FakeOllamaRegistry.Text(FakeOllamaRegistry.License, "MIT License"))[0];
    }

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _temp.Dispose();
    }

    private PullOptions Options(int retries = 0) => new() { Endpoint = _registry.Endpoint, Retries = retries, RetryDelay = TimeSpan.Zero };

    private static long Size => new FileInfo(Fixtures.Path("gguf", Gguf)).Length;

    [Fact]
    public async Task PullsTheGgufWithItsParametersSystemPromptAndLicense()
    {
        var reports = new List<PullProgress>();
        var entry = await Store.PullAsync("qwen3-tiny:q8_0", Options(), new SyncProgress<PullProgress>(reports.Add));
        Assert.Equal("qwen3-tiny:q8_0", entry.Name.ToString());
        Assert.Equal(_modelDigest, Assert.Single(entry.Manifest.Files).Digest);
        Assert.Equal(ContentDigest.OfFile(Fixtures.Path("gguf", Gguf)), ContentDigest.OfFile(entry.ModelPath));
        Assert.Equal("MIT License", entry.Manifest.License);
        var defaults = entry.Defaults!;
        Assert.Equal(["<|im_start|>", "<|im_end|>"], defaults.Stop!);
        Assert.Equal((0.6, 20, 512), (defaults.Temperature, defaults.TopK, defaults.NumCtx));
        Assert.Equal("You are a tiny test model.", defaults.System);
        Assert.StartsWith("ollama:library/qwen3-tiny:q8_0 (http://127.0.0.1:", entry.Manifest.Source);
        // stored and read back whole
        Assert.Equal(defaults, Store.Resolve("qwen3-tiny:q8_0").Defaults);
        Assert.Contains("stop                           \"<|im_start|>\"\n", defaults.ParameterText());
        Assert.Contains("num_ctx                        512\n", defaults.ParameterText());

        Assert.Contains(reports, r => r is { Stage: PullStage.Notice } && r.Message!.Contains("mirostat have no effect here"));
        var last = reports.Last(r => r.Stage == PullStage.Downloading);
        Assert.Equal((Size, Size, _modelDigest), (last.Completed, last.Total, last.Digest));
        Assert.Contains(_registry.Requests, r => r.StartsWith("GET /v2/library/qwen3-tiny/manifests/q8_0", StringComparison.Ordinal)
                                                 && r.Contains("accept=application/vnd.docker.distribution.manifest.v2+json"));
        // the weights come through the blob URL's redirect; the Go template is never fetched
        Assert.Contains(_registry.Requests, r => r.StartsWith($"GET /v2/library/qwen3-tiny/blobs/{_modelDigest}", StringComparison.Ordinal));
        Assert.Equal(1, _registry.CountRequests($"GET /cdn/{_modelDigest}"));
        Assert.Equal(4, _registry.CountRequests("GET /cdn/"));
        Assert.Empty(_temp.FilesIn("tmp"));
    }

    [Fact]
    public async Task NamespacedAndPrefixedNamesAreStoredAsOllamaShowsThem()
    {
        _registry.Add("someone/tiny:latest", (FakeOllamaRegistry.Model, File.ReadAllBytes(Fixtures.Path("gguf", "llama-tiny.Q8_0.gguf"))));
        var entry = await Store.PullAsync("ollama:someone/tiny", Options());
        Assert.Equal("someone/tiny:latest", entry.Name.ToString());
        Assert.Null(entry.Defaults);
        Assert.Null(entry.Manifest.License);
        entry = await Store.PullAsync("registry.ollama.ai/library/qwen3-tiny:q8_0", Options() with { Name = "mine" });
        Assert.Equal("mine:latest", entry.Name.ToString());
    }

    [Fact]
    public async Task ACutConnectionResumesWithRangeOnRerun()
    {
        const long cut = 1_000_000;
        _registry.DropAfterBytes = cut;
        _registry.DropsLeft = 1;
        var e = await Assert.ThrowsAsync<HubException>(() => Store.PullAsync("qwen3-tiny:q8_0", Options()));
        Assert.Contains($"broke off after {cut} of {Size} bytes", e.Message);
        Assert.Contains("run the same pull again to resume", e.Message);
        Assert.Empty(Store.List());
        var entry = await Store.PullAsync("qwen3-tiny:q8_0", Options());
        Assert.Contains(_registry.Requests, r => r.StartsWith($"GET /cdn/{_modelDigest}", StringComparison.Ordinal) && r.Contains($"range=bytes={cut}-"));
        Assert.Equal(_modelDigest, ContentDigest.OfFile(entry.ModelPath));
    }

    [Fact]
    public async Task ADigestMismatchIsAnErrorAndNothingIsRegistered()
    {
        _registry.Corrupted.Add(_modelDigest);
        var e = await Assert.ThrowsAsync<HubException>(() => Store.PullAsync("qwen3-tiny:q8_0", Options()));
        Assert.Contains($"sha256 mismatch: expected {_modelDigest}", e.Message);
        Assert.Contains("nothing was registered", e.Message);
        Assert.Empty(Store.List());
        Assert.Empty(_temp.FilesIn("blobs"));
        Assert.Empty(_temp.FilesIn("tmp"));
    }

    [Fact]
    public async Task AnUnknownModelIsANotFoundNamingIt()
    {
        var e = await Assert.ThrowsAsync<HubException>(() => Store.PullAsync("nosuch:7b", Options()));
        Assert.Equal(HttpStatusCode.NotFound, e.Status);
        Assert.Contains("model 'nosuch:7b' not found in namespace 'library' of the Ollama registry", e.Message);
    }

    [Fact]
    public async Task AProjectorLayerIsStoredAndLoadedWithTheModel()
    {
        var gguf = File.ReadAllBytes(Fixtures.Path("gguf", "llama-tiny.Q8_0.gguf"));
        int hidden;
        using (var model = Moxing.Models.ModelLoader.Load(Fixtures.Path("gguf", "llama-tiny.Q8_0.gguf"))) hidden = model.RequireDecoder().Options.HiddenSize;
        var projector = new MemoryStream();
        Moxing.Models.Synthesis.SyntheticProjector.Write(Moxing.Models.Vision.VisionProjector.Gemma3, hidden, 1).Write(projector);
        _registry.Add("library/llava:7b", (FakeOllamaRegistry.Model, gguf), (FakeOllamaRegistry.Projector, projector.ToArray()));
        var entry = await Store.PullAsync("llava:7b", Options());
        Assert.NotNull(entry.ProjectorPath);
        Assert.True(File.Exists(entry.ProjectorPath));
        using var loaded = Moxing.Models.ModelLoader.Load(entry.ModelPath, entry.ProjectorPath);
        Assert.NotNull(loaded.Vision);
        // A reopened store finds the projector in the manifest.
        Assert.Equal(entry.ProjectorPath, Store.Resolve("llava:7b").ProjectorPath);
    }

    [Fact]
    public async Task AdaptersAreRefusedBeforeAnyDownloadAndABadProjectorIsNotRegistered()
    {
        _registry.Add("library/llava:7b", (FakeOllamaRegistry.Model, File.ReadAllBytes(Fixtures.Path("gguf", "llama-tiny.Q8_0.gguf"))),
            (FakeOllamaRegistry.Projector, new byte[64]));
        _registry.Add("library/lora:1b", (FakeOllamaRegistry.Model, File.ReadAllBytes(Fixtures.Path("gguf", "llama-tiny.Q8_0.gguf"))),
            ("application/vnd.ollama.image.adapter", new byte[64]));
        var e = await Assert.ThrowsAsync<MoxingException>(() => Store.PullAsync("lora:1b", Options()));
        Assert.Contains("LoRA adapter layer", e.Message);
        Assert.Equal(0, _registry.CountRequests("GET /cdn/"));
        e = await Assert.ThrowsAsync<MoxingException>(() => Store.PullAsync("llava:7b", Options()));
        Assert.Contains("does not load", e.Message);
        Assert.Empty(Store.List());
    }

    [Fact]
    public async Task BadParamsNameTheField()
    {
        _registry.Add("library/bad:1", (FakeOllamaRegistry.Model, File.ReadAllBytes(Fixtures.Path("gguf", "llama-tiny.Q8_0.gguf"))),
            FakeOllamaRegistry.Text(FakeOllamaRegistry.Params, """{"temperature":"hot"}"""));
        var e = await Assert.ThrowsAsync<MoxingException>(() => Store.PullAsync("bad:1", Options()));
        Assert.Contains("ollama:library/bad:1 params layer: not usable: 'params.temperature' must be a number", e.Message);
        Assert.Empty(Store.List());
    }

    [Theory]
    [InlineData("qwen2.5:0.5b", null, "library", "qwen2.5", "0.5b", "qwen2.5:0.5b")]
    [InlineData("ollama:Llama3.2", null, "library", "llama3.2", "latest", "llama3.2:latest")]
    [InlineData("someone/model:q4_K_M", null, "someone", "model", "q4_k_m", "someone/model:q4_k_m")]
    [InlineData("registry.ollama.ai/library/phi3:mini", null, "library", "phi3", "mini", "phi3:mini")]
    [InlineData("example.com/team/model:v1", "example.com", "team", "model", "v1", "example.com/team/model:v1")]
    public void NamesParseWithOllamasDefaults(string text, string? host, string ns, string model, string tag, string stored)
    {
        var reference = OllamaReference.Parse(text);
        Assert.Equal(new OllamaReference(host, ns, model, tag), reference);
        Assert.Equal(stored, reference.DefaultName().ToString());
    }

    [Theory]
    [InlineData("a/b/c/d", "at most 3")]
    [InlineData("qwen:", "nothing after ':'")]
    [InlineData("bad name", "not a model name")]
    [InlineData("-x/model", "not a namespace")]
    public void BadNamesSayWhatIsExpected(string text, string problem)
    {
        var e = Assert.Throws<MoxingException>(() => OllamaReference.Parse(text));
        Assert.Contains(problem, e.Message);
        Assert.Contains("expected [HOST/][NAMESPACE/]MODEL[:TAG]", e.Message);
    }

    [Fact]
    public void RegistryComesFromTheOptionThenTheNamesHostThenTheVariable()
    {
        // Every other test names its endpoint, so changing the variable here cannot reach them.
        var saved = Environment.GetEnvironmentVariable(OllamaReference.RegistryVariable);
        try
        {
            Environment.SetEnvironmentVariable(OllamaReference.RegistryVariable, null);
            Assert.Equal("https://registry.ollama.ai/", OllamaReference.Parse("qwen2.5").Registry(null).ToString());
            Environment.SetEnvironmentVariable(OllamaReference.RegistryVariable, "http://mirror.local:8080/ollama");
            Assert.Equal("http://mirror.local:8080/ollama/", OllamaReference.Parse("qwen2.5").Registry(null).ToString());
            Assert.Equal("https://example.com/", OllamaReference.Parse("example.com/team/model").Registry(null).ToString());
            Assert.Equal("http://other/", OllamaReference.Parse("example.com/team/model").Registry("http://other").ToString());
            Assert.Contains("Ollama registry 'ftp://x' is not an http(s) URL",
                Assert.Throws<MoxingException>(() => OllamaReference.Parse("qwen2.5").Registry("ftp://x")).Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(OllamaReference.RegistryVariable, saved);
        }
    }
}
