using Moxing.Core;
using Moxing.Core.Formats;
using Moxing.Models;
using Moxing.Server.Store;
using Moxing.Server.Store.Hub;
using Moxing.Tests;

namespace Moxing.Server.Tests.Store;

public sealed class HubPullTests : IAsyncLifetime
{
    private const string GgufRepo = "tiny-org/Llama-Tiny-GGUF";
    private const string HfRepo = "tiny-org/llama-tiny";
    private readonly TempStore _temp = new();
    private FakeHub _hub = null!;

    private ModelStore Store => _temp.Store;

    public async Task InitializeAsync()
    {
        _hub = await FakeHub.StartAsync();
        foreach (var quant in new[] { "Q4_K_M", "Q8_0", "F16" })
            _hub.Add(GgufRepo, $"llama-tiny.{quant}.gguf", File.ReadAllBytes(Fixtures.Path("gguf", $"llama-tiny.{quant}.gguf")));
        _hub.Add(GgufRepo, "README.md", "# tiny"u8.ToArray(), lfs: false);
        _hub.AddFolder(HfRepo, Fixtures.Path("hf", "models", "llama-tiny"));
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        _temp.Dispose();
    }

    private PullOptions Options(int retries = 0) => new() { Endpoint = _hub.Endpoint, Retries = retries, RetryDelay = TimeSpan.Zero };

    private static long Size(string quant) => new FileInfo(Fixtures.Path("gguf", $"llama-tiny.{quant}.gguf")).Length;

    [Fact]
    public async Task PullsTheGgufMatchingAQuantCaseInsensitively()
    {
        var reports = new List<PullProgress>();
        var entry = await Store.PullAsync($"hf:{GgufRepo}:q8_0", Options(), new SyncProgress<PullProgress>(reports.Add));
        Assert.Equal("tiny-org/llama-tiny-gguf:q8_0", entry.Name.ToString());
        Assert.Equal("llama-tiny.Q8_0.gguf", Assert.Single(entry.Manifest.Files).Path);
        Assert.Equal(ContentDigest.OfFile(Fixtures.Path("gguf", "llama-tiny.Q8_0.gguf")), entry.Manifest.Files[0].Digest);
        Assert.Equal("Q8_0", entry.Details.Quantization);
        Assert.StartsWith($"hf:{GgufRepo}@{FakeHub.Commit}", entry.Manifest.Source);
        using (var model = ModelLoader.Load(Store.Resolve("tiny-org/llama-tiny-gguf:q8_0").ModelPath))
            Assert.Equal("llama", model.Architecture);
        Assert.Equal([PullStage.Listing, PullStage.Downloading, PullStage.Verifying, PullStage.Writing, PullStage.Done], reports.Select(r => r.Stage).Distinct());
        var last = reports.Last(r => r.Stage == PullStage.Downloading);
        Assert.Equal((Size("Q8_0"), Size("Q8_0")), (last.Completed, last.Total));
        // Files are fetched at the listed commit, and the finished download is now a blob, not a tmp file.
        Assert.Contains(_hub.Requests, r => r.Contains($"/resolve/{FakeHub.Commit}/llama-tiny.Q8_0.gguf"));
        Assert.Empty(_temp.FilesIn("tmp"));
    }

    [Fact]
    public async Task PullsTheF16ProjectorBesideTheGguf()
    {
        int hidden;
        using (var text = ModelLoader.Load(Fixtures.Path("gguf", "llama-tiny.Q8_0.gguf"))) hidden = text.RequireDecoder().Options.HiddenSize;
        var projector = new MemoryStream();
        Moxing.Models.Synthesis.SyntheticProjector.Write(Moxing.Models.Vision.VisionProjector.Gemma3, hidden, 1).Write(projector);
        _hub.Add("o/vision", "llama-tiny.Q8_0.gguf", File.ReadAllBytes(Fixtures.Path("gguf", "llama-tiny.Q8_0.gguf")));
        _hub.Add("o/vision", "mmproj-model-f16.gguf", projector.ToArray());
        _hub.Add("o/vision", "mmproj-model-Q8_0.gguf", new byte[64]);
        var entry = await Store.PullAsync("hf:o/vision", Options());
        Assert.Equal(["llama-tiny.Q8_0.gguf", "mmproj-model-f16.gguf"], entry.Manifest.Files.Select(f => f.Path));
        Assert.Equal("mmproj-model-f16.gguf", entry.Manifest.Projector);
        using var model = ModelLoader.Load(entry.ModelPath, entry.ProjectorPath);
        Assert.NotNull(model.Vision);
    }

    [Fact]
    public async Task PullsAFileByNameUnderAGivenName()
    {
        var entry = await Store.PullAsync($"hf:{GgufRepo}:llama-tiny.F16.gguf", Options() with { Name = "tiny:f16" });
        Assert.Equal("tiny:f16", entry.Name.ToString());
        Assert.Equal("F16", entry.Details.Quantization);
    }

    [Fact]
    public async Task AmbiguousOrMissingSelectionListsTheChoices()
    {
        var e = await Assert.ThrowsAsync<MoxingException>(() => Store.PullAsync($"hf:{GgufRepo}", Options()));
        Assert.Contains("has 3 GGUF files", e.Message);
        Assert.Contains("llama-tiny.Q4_K_M.gguf, llama-tiny.Q8_0.gguf, llama-tiny.F16.gguf", e.Message);
        e = await Assert.ThrowsAsync<MoxingException>(() => Store.PullAsync($"hf:{GgufRepo}:Q5_K_S", Options()));
        Assert.Contains("no GGUF file matching 'Q5_K_S'", e.Message);
        Assert.Contains("llama-tiny.Q4_K_M.gguf", e.Message);
        e = await Assert.ThrowsAsync<MoxingException>(() => Store.PullAsync($"hf:{GgufRepo}:missing.gguf", Options()));
        Assert.Contains("has no file 'missing.gguf'", e.Message);
        Assert.Empty(Store.List());
    }

    [Fact]
    public async Task PullsATransformersRepoWithTheFilesItNeeds()
    {
        var entry = await Store.PullAsync($"hf:{HfRepo}", Options());
        Assert.Equal("tiny-org/llama-tiny:latest", entry.Name.ToString());
        Assert.Equal(ModelFormat.HuggingFace, entry.Format);
        Assert.DoesNotContain(entry.Manifest.Files, f => f.Path.StartsWith("reference", StringComparison.Ordinal));
        using var pulled = ModelLoader.Load(entry.ModelPath);
        using var original = ModelLoader.Load(Fixtures.Path("hf", "models", "llama-tiny"));
        Assert.Equal(original.ParameterCount, pulled.ParameterCount);
        Assert.NotNull(pulled.Tokenizer);
        Assert.DoesNotContain(_hub.Requests, r => r.Contains("reference"));
        var e = await Assert.ThrowsAsync<MoxingException>(() => Store.PullAsync($"hf:{HfRepo}:Q4_K_M", Options()));
        Assert.Contains("has no GGUF files", e.Message);
    }

    [Fact]
    public async Task PullsEveryShardTheIndexNames()
    {
        var folder = Path.Combine(_temp.Home, "source");
        var parameters = ShardedCheckpoint.Write(folder);
        _hub.AddFolder("o/sharded", folder);
        Directory.Delete(folder, recursive: true);
        var entry = await Store.PullAsync("hf:o/sharded", Options());
        Assert.Equal(8, entry.Manifest.Files.Count);
        using var pulled = ModelLoader.Load(entry.ModelPath);
        Assert.Equal(parameters, pulled.ParameterCount);
    }

    [Fact]
    public async Task ConnectionCutMidFileResumesOnRerunWithRange()
    {
        const long cut = 100_000;
        _hub.DropAfterBytes = cut;
        _hub.DropsLeft = 1;
        var e = await Assert.ThrowsAsync<HubException>(() => Store.PullAsync($"hf:{GgufRepo}:Q4_K_M", Options()));
        Assert.Contains($"broke off after {cut} of {Size("Q4_K_M")} bytes", e.Message);
        Assert.Contains("run the same pull again to resume", e.Message);
        Assert.Empty(Store.List());
        var partial = Assert.Single(Directory.GetFiles(Store.DownloadsFolder, "*.part"));
        Assert.Equal(cut, new FileInfo(partial).Length);

        var entry = await Store.PullAsync($"hf:{GgufRepo}:Q4_K_M", Options());
        Assert.Contains(_hub.Requests, r => r.StartsWith("GET /cdn/", StringComparison.Ordinal) && r.Contains($"range=bytes={cut}-"));
        Assert.Equal(ContentDigest.OfFile(Fixtures.Path("gguf", "llama-tiny.Q4_K_M.gguf")), entry.Manifest.Files[0].Digest);
        Assert.Equal(ContentDigest.OfFile(Fixtures.Path("gguf", "llama-tiny.Q4_K_M.gguf")), ContentDigest.OfFile(entry.ModelPath));
        Assert.Empty(_temp.FilesIn("tmp"));
    }

    [Fact]
    public async Task BrokenTransfersAreRetriedWithinOnePull()
    {
        _hub.DropAfterBytes = 50_000;
        _hub.DropsLeft = 2;
        var entry = await Store.PullAsync($"hf:{GgufRepo}:Q4_K_M", Options(retries: 2));
        Assert.Equal(ContentDigest.OfFile(Fixtures.Path("gguf", "llama-tiny.Q4_K_M.gguf")), ContentDigest.OfFile(entry.ModelPath));
        Assert.Contains(_hub.Requests, r => r.Contains("range=bytes=50000-"));
        Assert.Contains(_hub.Requests, r => r.Contains("range=bytes=100000-"));
    }

    [Fact]
    public async Task ShaMismatchIsAnErrorAndNothingIsRegistered()
    {
        _hub.Corrupted.Add("llama-tiny.Q8_0.gguf");
        var e = await Assert.ThrowsAsync<HubException>(() => Store.PullAsync($"hf:{GgufRepo}:Q8_0", Options()));
        Assert.Contains("sha256 mismatch: expected sha256:", e.Message);
        Assert.Contains("nothing was registered", e.Message);
        Assert.Empty(Store.List());
        Assert.Empty(_temp.FilesIn("blobs"));
        Assert.Empty(_temp.FilesIn("tmp"));
        // Without listing metadata (a plain mirror) the X-Linked-Etag header still catches it.
        _hub.ListsLfsMetadata = false;
        e = await Assert.ThrowsAsync<HubException>(() => Store.PullAsync($"hf:{GgufRepo}:Q8_0", Options()));
        Assert.Contains("sha256 mismatch", e.Message);
        _hub.Corrupted.Clear();
        var entry = await Store.PullAsync($"hf:{GgufRepo}:Q8_0", Options());
        Assert.Equal(ContentDigest.OfFile(Fixtures.Path("gguf", "llama-tiny.Q8_0.gguf")), entry.Manifest.Files[0].Digest);
    }

    [Fact]
    public async Task MissingRepositoryIsAClearError()
    {
        var e = await Assert.ThrowsAsync<HubException>(() => Store.PullAsync("hf:nobody/nothing", Options()));
        Assert.Contains("hf:nobody/nothing: repository or revision 'main' not found", e.Message);
        Assert.Contains("HTTP 404", e.Message);
        Assert.Contains("HF_TOKEN", e.Message);
        e = await Assert.ThrowsAsync<HubException>(() => Store.PullAsync($"hf:{GgufRepo}:Q8_0", Options() with { Revision = "v9" }));
        Assert.Contains("revision 'v9' not found", e.Message);
    }

    [Fact]
    public async Task TokenIsSentToTheHubButNotToTheCdn()
    {
        _hub.RequiredToken = "secret";
        var e = await Assert.ThrowsAsync<HubException>(() => Store.PullAsync($"hf:{GgufRepo}:Q8_0", Options()));
        Assert.Contains("HTTP 401", e.Message);
        Assert.Contains("set HF_TOKEN", e.Message);
        await Store.PullAsync($"hf:{GgufRepo}:Q8_0", Options() with { Token = "secret" });
        Assert.All(_hub.Requests.Where(r => r.Contains("/resolve/")), r => Assert.EndsWith("auth=yes", r));
        Assert.All(_hub.Requests.Where(r => r.Contains("/cdn/")), r => Assert.EndsWith("auth=no", r));
    }

    [Fact]
    public async Task ABlobTheStoreHoldsIsNotDownloadedAgain()
    {
        await Store.PullAsync($"hf:{GgufRepo}:Q8_0", Options());
        var downloads = _hub.CountRequests("GET /cdn/");
        var second = await Store.PullAsync($"hf:{GgufRepo}:Q8_0", Options() with { Name = "again" });
        Assert.Equal(downloads, _hub.CountRequests("GET /cdn/"));
        Assert.Single(_temp.FilesIn("blobs"));
        using var _ = ModelLoader.Load(second.ModelPath);
    }

    [Fact]
    public async Task CancellingKeepsThePartialDownloadForResume()
    {
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress<PullProgress>(p =>
        {
            if (p.Stage == PullStage.Downloading && p.Completed > 0) cts.Cancel();
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.PullAsync($"hf:{GgufRepo}:Q4_K_M", Options(), progress, cts.Token));
        Assert.Empty(Store.List());
        Assert.Single(Directory.GetFiles(Store.DownloadsFolder, "*.part"));
        await Store.PullAsync($"hf:{GgufRepo}:Q4_K_M", Options());
        Assert.Contains(_hub.Requests, r => r.StartsWith("GET /cdn/", StringComparison.Ordinal) && !r.Contains("range=bytes=0") && r.Contains("range=bytes="));
    }

    [Fact]
    public void EndpointComesFromTheOptionThenHfEndpointThenTheHub()
    {
        // Every other test names its endpoint, so changing HF_ENDPOINT here cannot reach them.
        var saved = Environment.GetEnvironmentVariable("HF_ENDPOINT");
        try
        {
            Environment.SetEnvironmentVariable("HF_ENDPOINT", null);
            Assert.Equal("https://huggingface.co/", new PullOptions().ResolveEndpoint().ToString());
            Environment.SetEnvironmentVariable("HF_ENDPOINT", "http://mirror.example:8080/hf");
            Assert.Equal("http://mirror.example:8080/hf/", new PullOptions().ResolveEndpoint().ToString());
            Assert.Equal("http://other/", new PullOptions { Endpoint = "http://other" }.ResolveEndpoint().ToString());
            Assert.Contains("not an http(s) URL", Assert.Throws<MoxingException>(() => new PullOptions { Endpoint = "ftp://x" }.ResolveEndpoint()).Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("HF_ENDPOINT", saved);
        }
    }

    [Theory]
    [InlineData("hf:org", "expected ORG/REPO")]
    [InlineData("hf:org/repo/extra", "expected ORG/REPO")]
    [InlineData("hf:org/re po", "not a valid Hub name")]
    [InlineData("hf:org/repo:", "nothing after ':'")]
    [InlineData("hf:org/repo:../x.gguf", "'..' part")]
    [InlineData("org/repo", "must start with hf:")]
    public void BadReferencesSayWhatIsExpected(string text, string problem)
    {
        var e = Assert.Throws<MoxingException>(() => HubReference.Parse(text));
        Assert.Contains(problem, e.Message);
        Assert.Contains("expected hf:ORG/REPO[:FILE.gguf | :QUANT]", e.Message);
    }

    [Theory]
    [InlineData("hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M", "qwen/qwen2.5-0.5b-instruct-gguf:q4_k_m")]
    [InlineData("hf.co/bartowski/Llama-3.2-1B:Llama-3.2-1B-Q8_0.gguf", "bartowski/llama-3.2-1b:llama-3.2-1b-q8_0")]
    [InlineData("hf:org/repo", "org/repo:latest")]
    public void DefaultNamesComeFromTheRepositoryAndSelector(string text, string name) =>
        Assert.Equal(name, HubReference.Parse(text).DefaultName().ToString());

    [Fact]
    public void QuantSelectionPrefersAWholeWordAndRejectsSplitFiles()
    {
        HubRepository Repo(params string[] names) => new("o/r", null, names.Select(n => new HubFile(n, null, null)).ToList());
        var (format, files) = HubFileSelection.Select(HubReference.Parse("hf:o/r:Q4_K"), Repo("m-Q4_K_M.gguf", "m-Q4_K.gguf", "m-Q4_K_S.gguf"));
        Assert.Equal((ModelFormat.Gguf, "m-Q4_K.gguf"), (format, Assert.Single(files).Path));
        var e = Assert.Throws<MoxingException>(() => HubFileSelection.Select(HubReference.Parse("hf:o/r:Q4_K"), Repo("m-Q4_K_M.gguf", "m-Q4_K_S.gguf")));
        Assert.Contains("has 2 GGUF files matching 'Q4_K'", e.Message);
        Assert.Equal("m.gguf", Assert.Single(HubFileSelection.Select(HubReference.Parse("hf:o/r"), Repo("m.gguf", "mmproj-m-f16.gguf")).Files).Path);
        e = Assert.Throws<MoxingException>(() => HubFileSelection.Select(HubReference.Parse("hf:o/r:Q8_0"), Repo("m-Q8_0-00001-of-00002.gguf", "m-Q8_0-00002-of-00002.gguf")));
        Assert.Contains("has 2 GGUF files", e.Message);
        e = Assert.Throws<MoxingException>(() => HubFileSelection.Select(HubReference.Parse("hf:o/r:m-Q8_0-00001-of-00002.gguf"), Repo("m-Q8_0-00001-of-00002.gguf")));
        Assert.Contains("split GGUF", e.Message);
        e = Assert.Throws<MoxingException>(() => HubFileSelection.Select(HubReference.Parse("hf:o/r"), Repo("README.md")));
        Assert.Contains("neither a GGUF file nor a transformers model", e.Message);
    }
}
