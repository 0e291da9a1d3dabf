using Moxing.Core;
using Moxing.Core.Formats;
using Moxing.Models;
using Moxing.Server.Store;
using Moxing.Tests;

namespace Moxing.Server.Tests.Store;

public sealed class ModelStoreTests : IDisposable
{
    private readonly TempStore _temp = new();
    private readonly string _work = Directory.CreateTempSubdirectory("moxing-store-src-").FullName;

    private ModelStore Store => _temp.Store;

    public void Dispose()
    {
        _temp.Dispose();
        Directory.Delete(_work, recursive: true);
    }

    private static string Gguf(string name) => Fixtures.Path("gguf", name);

    private static string HfFolder(string name) => Fixtures.Path("hf", "models", name);

    [Fact]
    public void ImportsGgufAndResolvesToALoadableFile()
    {
        var entry = Store.Import(Gguf("llama-tiny.Q4_K_M.gguf"));
        Assert.Equal("llama-tiny.q4_k_m:latest", entry.Name.ToString());
        Assert.Equal(ModelFormat.Gguf, entry.Format);
        Assert.Equal(new FileInfo(Gguf("llama-tiny.Q4_K_M.gguf")).Length, entry.Size);
        Assert.Equal("llama", entry.Details.Architecture);
        Assert.Equal("Q4_K_M", entry.Details.Quantization);
        Assert.Equal(ModelKind.Generation, entry.Details.Kind);
        Assert.Equal(Path.GetFullPath(Gguf("llama-tiny.Q4_K_M.gguf")), entry.Manifest.Source);
        Assert.Equal(ContentDigest.OfFile(Gguf("llama-tiny.Q4_K_M.gguf")), Assert.Single(entry.Manifest.Files).Digest);

        var resolved = Store.Resolve("LLAMA-TINY.Q4_K_M");
        Assert.Equal("llama-tiny.Q4_K_M.gguf", Path.GetFileName(resolved.ModelPath));
        Assert.StartsWith(_temp.Home, resolved.ModelPath);
        using var model = ModelLoader.Load(resolved.ModelPath);
        Assert.Equal(entry.Details.ParameterCount, model.ParameterCount);
        Assert.Equal(Assert.Single(Store.List()).Name, resolved.Name);
    }

    [Fact]
    public void ImportsHfFolderWithOnlyTheFilesTheModelNeeds()
    {
        var entry = Store.Import(HfFolder("llama-tiny"), "tiny:hf");
        Assert.Equal(ModelFormat.HuggingFace, entry.Format);
        Assert.Equal(
            ["chat_template.jinja", "config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"],
            entry.Manifest.Files.Select(f => f.Path).Order());
        Assert.Equal(["chat_template.jinja", "config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"],
            Directory.EnumerateFiles(entry.ModelPath).Select(Path.GetFileName).Order());
        using var model = ModelLoader.Load(Store.Resolve("tiny:hf").ModelPath);
        Assert.Equal("llama", model.Architecture);
        Assert.NotNull(model.ChatTemplates);
        Assert.Equal(ModelKind.Embedding, Store.Import(HfFolder("bert-tiny"), "bert").Details.Kind);
    }

    [Fact]
    public void ImportsShardedCheckpointWithEveryShard()
    {
        var folder = WriteSharded();
        var entry = Store.Import(folder, "sharded");
        Assert.Contains(entry.Manifest.Files, f => f.Path == ModelTensors.IndexFileName);
        Assert.All(ShardedCheckpoint.ShardNames, shard => Assert.Contains(entry.Manifest.Files, f => f.Path == shard));
        Assert.DoesNotContain(entry.Manifest.Files, f => f.Path == "notes.txt");
        using var model = ModelLoader.Load(entry.ModelPath);
        using var original = ModelLoader.Load(HfFolder("llama-tiny"));
        Assert.Equal(original.ParameterCount, model.ParameterCount);
    }

    [Fact]
    public void SameContentUnderTwoNamesSharesBlobsAndRemovalCollectsOnlyUnusedOnes()
    {
        Store.Import(Gguf("qwen2-tiny.Q8_0.gguf"), "a");
        Store.Import(Gguf("qwen2-tiny.Q8_0.gguf"), "b:v2");
        Store.Import(Gguf("qwen2-tiny.Q4_0.gguf"), "c");
        Assert.Equal(2, _temp.FilesIn("blobs").Length);
        Assert.Equal(["a:latest", "b:v2", "c:latest"], Store.List().Select(e => e.Name.ToString()));
        Assert.Equal(Store.Resolve("a").Digest, Store.Resolve("b:v2").Digest);

        Assert.Equal(0, Store.Remove("a"));
        Assert.Equal(2, _temp.FilesIn("blobs").Length);
        using (ModelLoader.Load(Store.Resolve("b:v2").ModelPath)) { }
        Assert.Equal(new FileInfo(Gguf("qwen2-tiny.Q8_0.gguf")).Length, Store.Remove("b:v2"));
        Assert.Single(_temp.FilesIn("blobs"));
        Assert.Throws<ModelNotFoundException>(() => Store.Remove("b:v2"));
        Assert.Null(Store.TryResolve("a"));
        Assert.Contains("model 'a:latest' not found", Assert.Throws<ModelNotFoundException>(() => Store.Resolve("a")).Message);
        Store.Remove("c");
        Assert.Empty(_temp.FilesIn("blobs"));
        Assert.Empty(_temp.FilesIn("snapshots"));
        Assert.Empty(_temp.FilesIn("manifests"));
    }

    [Fact]
    public void ReimportUnderTheSameNameReplacesItAndCollectsTheOldBlob()
    {
        Store.Import(Gguf("qwen2-tiny.Q8_0.gguf"), "m");
        var second = Store.Import(Gguf("qwen2-tiny.Q4_0.gguf"), "m");
        Assert.Equal(second.Digest, Store.Resolve("m").Digest);
        Assert.Equal([Path.Combine("blobs", ContentDigest.FileName(second.Manifest.Files[0].Digest))], _temp.FilesIn("blobs"));
        Assert.Single(Directory.GetDirectories(Path.Combine(_temp.Home, "snapshots")));
    }

    [Fact]
    public void CopyMakesIndependentBlobs()
    {
        var source = Path.Combine(_work, "m.gguf");
        File.Copy(Gguf("qwen2-tiny.Q4_0.gguf"), source);
        var entry = Store.Import(source, "copied", copy: true);
        File.WriteAllBytes(source, [1, 2, 3]);
        Assert.Equal(ContentDigest.OfFile(Gguf("qwen2-tiny.Q4_0.gguf")), ContentDigest.OfFile(Store.Resolve("copied").ModelPath));
        Assert.Equal(entry.Size, new FileInfo(Store.Resolve("copied").ModelPath).Length);
    }

    [Fact]
    public void ModelThatDoesNotLoadIsNotRegisteredAndLeavesNothingBehind()
    {
        var truncated = Path.Combine(_work, "broken.gguf");
        File.WriteAllBytes(truncated, File.ReadAllBytes(Gguf("llama-tiny.Q8_0.gguf"))[..4096]);
        var e = Assert.ThrowsAny<MoxingException>(() => Store.Import(truncated, "broken"));
        Assert.Contains("does not load, so it was not registered", e.Message);
        Assert.Contains(truncated, e.Message);
        Assert.DoesNotContain("stage-", e.Message);

        var noWeights = Directory.CreateDirectory(Path.Combine(_work, "noweights")).FullName;
        File.Copy(Path.Combine(HfFolder("llama-tiny"), "config.json"), Path.Combine(noWeights, "config.json"));
        Assert.Contains("no weights", Assert.ThrowsAny<MoxingException>(() => Store.Import(noWeights)).Message);
        Assert.Contains("config.json is missing", Assert.ThrowsAny<MoxingException>(() => Store.Import(_work)).Message);

        var notGguf = Path.Combine(_work, "x.bin");
        File.WriteAllText(notGguf, "hello");
        Assert.Contains("not a GGUF file", Assert.ThrowsAny<MoxingException>(() => Store.Import(notGguf)).Message);
        Assert.Contains("no such", Assert.ThrowsAny<MoxingException>(() => Store.Import(Path.Combine(_work, "missing.gguf"))).Message);
        Assert.Throws<InvalidModelNameException>(() => Store.Import(Gguf("llama-tiny.Q8_0.gguf"), "bad name"));

        Assert.Empty(Store.List());
        Assert.Empty(_temp.FilesIn("blobs"));
        Assert.Empty(_temp.FilesIn("manifests"));
        Assert.Empty(_temp.FilesIn("tmp"));
    }

    [Fact]
    public void DamagedSnapshotIsRebuiltFromBlobsOnResolve()
    {
        var entry = Store.Import(HfFolder("llama-tiny"), "tiny");
        File.Delete(Path.Combine(entry.ModelPath, "tokenizer.json"));
        using var model = ModelLoader.Load(Store.Resolve("tiny").ModelPath);
        Assert.NotNull(model.Tokenizer);

        File.Delete(Path.Combine(entry.ModelPath, "config.json"));
        File.Delete(Store.BlobPath(entry.Manifest.Files.Single(f => f.Path == "config.json").Digest));
        Assert.Contains("the store is damaged", Assert.Throws<InvalidModelFileException>(() => Store.Resolve("tiny")).Message);
    }

    [Fact]
    public void UnreadableManifestIsReportedAndBlocksGarbageCollection()
    {
        Store.Import(Gguf("qwen2-tiny.Q4_0.gguf"), "good");
        var bad = Store.Import(Gguf("qwen2-tiny.Q8_0.gguf"), "bad");
        var manifestPath = Path.Combine(_temp.Home, "manifests", "bad", "latest.json");
        File.WriteAllText(manifestPath, "{ \"name\": ");
        var problems = new List<string>();
        Assert.Equal(["good:latest"], Store.List(problems).Select(e => e.Name.ToString()));
        Assert.Contains(manifestPath, Assert.Single(problems));
        Store.Remove("good");
        // The damaged manifest may still own its blob, so nothing is collected while it exists.
        Assert.Equal(2, _temp.FilesIn("blobs").Length);
        Assert.Throws<InvalidModelFileException>(() => Store.Resolve("bad"));
        Store.Remove("bad");
        Assert.Empty(_temp.FilesIn("blobs"));
        Assert.NotEqual("", bad.Digest);
    }

    [Fact]
    public void ManifestRoundTripsAndRejectsTampering()
    {
        var entry = Store.Import(Gguf("llama-tiny.Q8_0.gguf"), "org/tiny:q8");
        var path = Path.Combine(_temp.Home, "manifests", "org+tiny", "q8.json");
        var loaded = ModelManifest.Load(path);
        Assert.Equal(entry.Manifest.ContentId, loaded.ContentId);
        Assert.Equal(entry.Details, loaded.Details);
        Assert.Contains("\"format\": \"gguf\"", File.ReadAllText(path));
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"path\": \"llama-tiny.Q8_0.gguf\"", "\"path\": \"../escape.gguf\""));
        Assert.Contains("'..' part", Assert.Throws<InvalidModelFileException>(() => ModelManifest.Load(path)).Message);
    }

    [Fact]
    public void ConcurrentImportsFromTwoStoreInstancesAllLand()
    {
        var other = ModelStore.Open(_temp.Home);
        var sources = new[] { "qwen2-tiny.Q4_0.gguf", "qwen2-tiny.Q8_0.gguf", "llama-tiny.Q8_0.gguf", "gpt2-tiny.Q8_0.gguf" };
        Parallel.For(0, 8, i => (i % 2 == 0 ? Store : other).Import(Gguf(sources[i % 4]), $"m{i}"));
        Assert.Equal(8, Store.List().Count);
        Assert.Equal(4, _temp.FilesIn("blobs").Length);
        Parallel.For(0, 8, i => (i % 2 == 0 ? other : Store).Remove($"m{i}"));
        Assert.Empty(_temp.FilesIn("blobs"));
    }

    [Fact]
    public void GarbageCollectionDeletesWorkAbandonedByACrashButNotLiveWork()
    {
        var tmp = Path.Combine(_temp.Home, "tmp");
        var abandoned = Directory.CreateDirectory(Path.Combine(tmp, "stage-crashed")).FullName;
        File.WriteAllText(Path.Combine(abandoned, "model.gguf"), "half");
        Directory.SetLastWriteTimeUtc(abandoned, DateTime.UtcNow.AddDays(-2));
        var live = Directory.CreateDirectory(Path.Combine(tmp, "stage-live")).FullName;
        var partial = Path.Combine(Store.DownloadsFolder, "x.part");
        File.WriteAllText(partial, "resumable");
        File.SetLastWriteTimeUtc(partial, DateTime.UtcNow.AddDays(-2));
        Store.CollectGarbage();
        Assert.False(Directory.Exists(abandoned));
        Assert.True(Directory.Exists(live));
        Assert.True(File.Exists(partial));
    }

    [Fact]
    public void ServesAsTheServersModelCatalog()
    {
        var catalog = new StoreModelCatalog(Store);
        Assert.Empty(catalog.List());
        var entry = Store.Import(Gguf("qwen2-tiny.Q8_0.gguf"), "Qwen/Tiny:Q8");
        var listed = Assert.Single(catalog.List());
        Assert.Equal(("qwen/tiny:q8", entry.ModelPath, entry.Size, entry.Digest), (listed.Name, listed.Path, listed.SizeBytes, listed.Digest));
        Assert.Equal(listed, catalog.Find("qwen/TINY:q8"));
        Assert.Null(catalog.Find("qwen/tiny"));
        Assert.Null(catalog.Find("not a name"));
        using var model = ModelLoader.Load(catalog.Find("qwen/tiny:q8")!.Path);
    }

    private string WriteSharded()
    {
        var folder = Path.Combine(_work, "sharded");
        ShardedCheckpoint.Write(folder);
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "not part of the model");
        return folder;
    }
}
