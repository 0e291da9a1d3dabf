using Moxing.Core;
using Moxing.Core.Formats;
using Moxing.Core.Formats.Gguf;
using Moxing.Models;
using Moxing.Server.Store.Hub;
using Moxing.Server.Store.Registry;
using Moxing.Training.Export;

namespace Moxing.Server.Store;

/// <summary>
/// The local model store in <c>$MOXING_HOME</c> (default <c>~/.moxing</c>): content-addressed blobs (<c>blobs/sha256-HEX</c>), one manifest
/// per <c>name:tag</c> (<c>manifests/NAME/TAG.json</c>, '/' in a name written as '+'), and per manifest a snapshot folder of hard links
/// under the model's real file names that <see cref="ModelLoader.Load"/> opens. Every change is staged in <c>tmp/</c>, checked, and
/// committed under a file lock with atomic renames, so a failed or concurrent import or pull never loses or corrupts a model.
/// </summary>
public sealed partial class ModelStore
{
    private ModelStore(string home)
    {
        Home = home;
        foreach (var dir in new[] { BlobsFolder, ManifestsFolder, SnapshotsFolder, TempFolder, DownloadsFolder })
            Directory.CreateDirectory(dir);
    }

    /// <summary>The store's root folder.</summary>
    public string Home { get; }

    /// <summary>How long a change waits for another process holding the store lock.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromMinutes(2);

    internal string BlobsFolder => Path.Combine(Home, "blobs");
    internal string ManifestsFolder => Path.Combine(Home, "manifests");
    internal string SnapshotsFolder => Path.Combine(Home, "snapshots");
    internal string TempFolder => Path.Combine(Home, "tmp");

    /// <summary>Where pulls keep partial and finished downloads until they are registered (a rerun resumes from here).</summary>
    public string DownloadsFolder => Path.Combine(TempFolder, "downloads");

    /// <summary>$MOXING_HOME, else ~/.moxing.</summary>
    public static string DefaultHome() => MoxingHome.Resolve();

    /// <summary>Opens (creating it if needed) the store at <paramref name="home"/>, or at <see cref="DefaultHome"/>.</summary>
    public static ModelStore Open(string? home = null) => new(Path.GetFullPath(home ?? DefaultHome()));

    /// <summary>
    /// Registers the GGUF file or Hugging Face folder at <paramref name="path"/> under <paramref name="name"/> (default: the file or folder
    /// name), after checking it loads. Files are hard-linked into the store (copied when <paramref name="copy"/> or across volumes).
    /// </summary>
    public StoreEntry Import(string path, string? name = null, bool copy = false, CancellationToken cancellation = default, string? projector = null)
    {
        var source = Path.GetFullPath(path);
        var isFolder = Directory.Exists(source);
        if (!isFolder && !File.Exists(source)) throw new MoxingException($"{path}: no such GGUF file or model folder");
        if (!isFolder && !GgufFile.HasMagic(source))
            throw new InvalidModelFileException(source, "not a GGUF file (no GGUF magic) and not a Hugging Face model folder");
        var modelName = name != null ? ModelName.Parse(name) : DefaultImportName(source, isFolder);
        using var staging = new ModelStaging(TempFolder, isFolder ? ModelFormat.HuggingFace : ModelFormat.Gguf);
        var files = !isFolder ? [Path.GetFileName(source)]
            : ClassifierManifest.IsIn(source) ? [.. ClassifierManifest.Load(source).Files] : FolderModelFiles(source);
        foreach (var relative in files)
        {
            cancellation.ThrowIfCancellationRequested();
            staging.Add(relative, isFolder ? ModelFilePath.Under(source, relative) : source, link: !copy);
        }
        if (projector != null) StageProjector(staging, projector, !copy);
        var details = Check(staging, source);
        return Commit(staging, modelName, source, details, cancellation);
    }

    /// <summary>
    /// Registers the model of the `moxing train` run in <paramref name="runFolder"/> (its best weights) under <paramref name="name"/>
    /// (default: the run folder's name): a GPT as a Hugging Face GPT-2 folder, a classifier as a classifier folder.
    /// </summary>
    public StoreEntry ImportRun(string runFolder, string? name = null, CancellationToken cancellation = default)
    {
        var source = Path.GetFullPath(runFolder);
        if (!IsRunFolder(source)) throw new MoxingException($"{runFolder}: not a run folder of moxing train (no recipe.yaml and state.json)");
        var export = Path.Combine(TempFolder, "export-" + Guid.NewGuid().ToString("N"));
        try
        {
            RunExport.Write(source, export);
            return Import(export, name ?? DefaultImportName(source, isFolder: true).ToString(), copy: false, cancellation);
        }
        finally
        {
            TryDelete(() => Directory.Delete(export, recursive: true));
        }
    }

    /// <summary>Whether <paramref name="path"/> is a run folder of `moxing train`.</summary>
    public static bool IsRunFolder(string path)
    {
        var run = new Training.Trainer.RunFolder(path);
        return File.Exists(run.Recipe) && File.Exists(run.State);
    }

    /// <summary>
    /// Downloads <paramref name="reference"/> and registers it: <c>hf:ORG/REPO[:FILE.gguf | :QUANT]</c> (or hf.co/…) from the Hugging Face Hub or a
    /// mirror, anything else an Ollama registry name (<c>[ollama:][HOST/][NAMESPACE/]MODEL[:TAG]</c>) with its parameters and system prompt.
    /// Resumes partial downloads, verifies sha256 digests and checks the model loads first. Reports progress; cancellation keeps partial files.
    /// </summary>
    public Task<StoreEntry> PullAsync(string reference, PullOptions? options = null, IProgress<PullProgress>? progress = null,
        CancellationToken cancellation = default) =>
        HubReference.IsHubReference(reference)
            ? new HubPull(this, HubReference.Parse(reference), options ?? new PullOptions(), progress).RunAsync(cancellation)
            : new OllamaPull(this, OllamaReference.Parse(reference), options ?? new PullOptions(), progress).RunAsync(cancellation);

    /// <summary>Every registered model, by name; manifests that cannot be read are skipped (see <see cref="List(ICollection{string})"/>).</summary>
    public IReadOnlyList<StoreEntry> List() => List(null);

    /// <summary>Every registered model, by name; a message per unreadable manifest goes to <paramref name="problems"/>.</summary>
    public IReadOnlyList<StoreEntry> List(ICollection<string>? problems)
    {
        var entries = new List<StoreEntry>();
        foreach (var (path, manifest, problem) in Manifests())
        {
            if (manifest != null) entries.Add(Entry(manifest));
            else problems?.Add(problem!);
        }
        entries.Sort((a, b) => string.CompareOrdinal(a.Name.ToString(), b.Name.ToString()));
        return entries;
    }

    /// <summary>The model called <paramref name="name"/>, or throws <see cref="ModelNotFoundException"/>; rebuilds its snapshot if damaged.</summary>
    public StoreEntry Resolve(string name) => TryResolve(name) ?? throw new ModelNotFoundException(ModelName.Parse(name).ToString());

    /// <summary>The model called <paramref name="name"/>, or null when there is none (an invalid name still throws).</summary>
    public StoreEntry? TryResolve(string name)
    {
        var modelName = ModelName.Parse(name);
        var path = ManifestPath(modelName);
        if (!File.Exists(path)) return null;
        var manifest = ModelManifest.Load(path);
        if (!SnapshotIsWhole(manifest))
        {
            using var _ = StoreLock.Acquire(LockPath, LockTimeout, CancellationToken.None);
            if (!SnapshotIsWhole(manifest)) RebuildSnapshot(manifest);
        }
        return Entry(manifest);
    }

    /// <summary>Registers <paramref name="source"/>'s files (and defaults) also as <paramref name="destination"/>, replacing a model of
    /// that name (Ollama's copy and create-from); no file is copied — both manifests name the same blobs. <paramref name="defaults"/>
    /// win over the source's own, value by value; <paramref name="license"/> replaces its license.</summary>
    public StoreEntry Copy(string source, string destination, ModelDefaults? defaults = null, string? license = null)
    {
        var from = ModelName.Parse(source);
        var to = ModelName.Parse(destination);
        using var _ = StoreLock.Acquire(LockPath, LockTimeout, CancellationToken.None);
        var path = ManifestPath(from);
        if (!File.Exists(path)) throw new ModelNotFoundException(from.ToString());
        var manifest = ModelManifest.Load(path);
        var merged = defaults?.Over(manifest.Defaults) ?? manifest.Defaults;
        manifest = manifest with
        {
            Name = to.Name,
            Tag = to.Tag,
            Created = DateTimeOffset.UtcNow,
            Defaults = merged is { IsEmpty: false } ? merged : null,
            License = license ?? manifest.License,
        };
        AtomicFile.Write(ManifestPath(to), manifest.ToJson());
        CollectGarbageLocked();
        return Entry(manifest);
    }

    /// <summary>Removes <paramref name="name"/> and deletes the blobs no other model uses; returns the bytes freed.</summary>
    public long Remove(string name)
    {
        var modelName = ModelName.Parse(name);
        using var _ = StoreLock.Acquire(LockPath, LockTimeout, CancellationToken.None);
        var path = ManifestPath(modelName);
        if (!File.Exists(path)) throw new ModelNotFoundException(modelName.ToString());
        File.Delete(path);
        DeleteIfEmpty(Path.GetDirectoryName(path)!);
        return CollectGarbageLocked();
    }

    /// <summary>Deletes blobs and snapshots no manifest refers to (nothing when a manifest is unreadable); returns the bytes freed.</summary>
    public long CollectGarbage()
    {
        using var _ = StoreLock.Acquire(LockPath, LockTimeout, CancellationToken.None);
        return CollectGarbageLocked();
    }

    private string LockPath => Path.Combine(Home, "store.lock");

    internal string BlobPath(string digest) => Path.Combine(BlobsFolder, ContentDigest.FileName(digest));

    private string SnapshotPath(ModelManifest manifest) => Path.Combine(SnapshotsFolder, ContentDigest.Hex(manifest.ContentId));

    private string ManifestPath(ModelName name) => Path.Combine(ManifestsFolder, name.Name.Replace('/', '+'), name.Tag + ".json");

    private StoreEntry Entry(ModelManifest manifest)
    {
        var snapshot = SnapshotPath(manifest);
        var modelPath = manifest.Format == ModelFormat.Gguf ? ModelFilePath.Under(snapshot, manifest.Files[0].Path) : snapshot;
        return new StoreEntry(manifest.ModelName, manifest, modelPath)
        {
            ProjectorPath = manifest.Projector is { } projector ? ModelFilePath.Under(snapshot, projector) : null,
        };
    }

    // The mmproj GGUF a model is imported with, staged under its own name (one that no model file has).
    private static void StageProjector(ModelStaging staging, string projector, bool link)
    {
        var path = Path.GetFullPath(projector);
        if (!File.Exists(path)) throw new MoxingException($"{projector}: no such projector (mmproj GGUF) file");
        if (!Moxing.Models.Vision.VisionLoader.IsProjectorFile(path))
            throw new InvalidModelFileException(path, "not a vision projector: an mmproj GGUF (general.architecture clip) is expected");
        var name = Path.GetFileName(path);
        staging.AddProjector(staging.Files.Any(f => f.Path == name) ? "mmproj-" + name : name, path, link: link);
    }

    private static ModelName DefaultImportName(string source, bool isFolder)
    {
        var stem = isFolder ? Path.GetFileName(source.TrimEnd(Path.DirectorySeparatorChar)) : Path.GetFileNameWithoutExtension(source);
        var name = ModelName.Sanitize(stem);
        if (name.Length == 0) throw new MoxingException($"{source}: cannot make a model name from '{stem}'; give one with --name");
        return ModelName.Parse(name);
    }

    // The files of a model folder the loader and templates use, shards of a sharded checkpoint included.
    private static List<string> FolderModelFiles(string folder)
    {
        var available = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'))
            .ToHashSet(StringComparer.Ordinal);
        var files = HfModelFiles.Select(available, folder);
        if (HfModelFiles.IsSharded(files))
            foreach (var shard in HfModelFiles.Shards(ModelFilePath.Under(folder, ModelTensors.IndexFileName)))
            {
                if (!available.Contains(shard))
                    throw new InvalidModelFileException(ModelFilePath.Under(folder, ModelTensors.IndexFileName), $"shard '{shard}' named in weight_map does not exist");
                files.Add(shard);
            }
        return files;
    }

    /// <summary>Loads the staged model to prove it works, and reads its details; errors name <paramref name="source"/>, not the staging folder.</summary>
    internal static ModelDetails Check(ModelStaging staging, string source)
    {
        try
        {
            if (ClassifierManifest.IsIn(staging.ModelPath)) return ModelDetails.From(TrainedClassifier.Load(staging.ModelPath));
            using var model = ModelLoader.Load(staging.ModelPath, staging.ProjectorPath);
            return ModelDetails.From(model);
        }
        catch (MoxingException e)
        {
            var display = staging.Format == ModelFormat.Gguf ? source : source.TrimEnd(Path.DirectorySeparatorChar);
            throw new MoxingException($"{source}: the model does not load, so it was not registered: {e.Message.Replace(staging.ModelPath, display)}", e);
        }
    }

    /// <summary>Registers a checked staging folder: blobs, snapshot, then the manifest (the commit point), all under the store lock.</summary>
    internal StoreEntry Commit(ModelStaging staging, ModelName name, string source, ModelDetails details, CancellationToken cancellation,
        ModelDefaults? defaults = null, string? license = null)
    {
        var manifest = new ModelManifest
        {
            Name = name.Name,
            Tag = name.Tag,
            Format = staging.Format,
            Files = [.. staging.Files],
            Source = source,
            Created = DateTimeOffset.UtcNow,
            Details = details,
            Projector = staging.Projector,
            Defaults = defaults is { IsEmpty: false } ? defaults : null,
            License = license,
        };
        using var _ = StoreLock.Acquire(LockPath, LockTimeout, cancellation);
        foreach (var file in staging.Files)
            AddBlob(file.Digest, staging.PathOf(file.Path));
        var snapshot = SnapshotPath(manifest);
        if (!Directory.Exists(snapshot))
        {
            Directory.Move(staging.Folder, snapshot);
            staging.Adopt(snapshot);
        }
        else if (!SnapshotIsWhole(manifest)) RebuildSnapshot(manifest);
        AtomicFile.Write(ManifestPath(name), manifest.ToJson());
        CollectGarbageLocked();
        return Entry(manifest);
    }

    private void AddBlob(string digest, string file)
    {
        var blob = BlobPath(digest);
        if (File.Exists(blob)) return;
        var temp = Path.Combine(TempFolder, "blob-" + Guid.NewGuid().ToString("N"));
        FileLinks.LinkOrCopy(file, temp);
        File.Move(temp, blob);
    }

    private bool SnapshotIsWhole(ModelManifest manifest)
    {
        var snapshot = SnapshotPath(manifest);
        foreach (var file in manifest.Files)
        {
            var info = new FileInfo(ModelFilePath.Under(snapshot, file.Path));
            if (!info.Exists || info.Length != file.Size) return false;
        }
        return true;
    }

    private void RebuildSnapshot(ModelManifest manifest)
    {
        var temp = Path.Combine(TempFolder, "snapshot-" + Guid.NewGuid().ToString("N"));
        foreach (var file in manifest.Files)
        {
            var blob = BlobPath(file.Digest);
            if (!File.Exists(blob))
                throw new InvalidModelFileException(blob, $"blob of '{file.Path}' is missing: the store is damaged; import or pull '{manifest.ModelName}' again");
            var target = ModelFilePath.Under(temp, file.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            FileLinks.LinkOrCopy(blob, target);
        }
        var snapshot = SnapshotPath(manifest);
        if (Directory.Exists(snapshot)) Directory.Delete(snapshot, recursive: true);
        Directory.Move(temp, snapshot);
    }

    private IEnumerable<(string Path, ModelManifest? Manifest, string? Problem)> Manifests()
    {
        foreach (var folder in Directory.EnumerateDirectories(ManifestsFolder))
            foreach (var path in Directory.EnumerateFiles(folder, "*.json"))
            {
                ModelManifest? manifest = null;
                string? problem = null;
                try
                {
                    var loaded = ModelManifest.Load(path);
                    var expected = ManifestPath(loaded.ModelName);
                    if (string.Equals(expected, path, StringComparison.Ordinal)) manifest = loaded;
                    else problem = $"{path}: names model '{loaded.ModelName}', which belongs in {expected}";
                }
                catch (Exception e) when (e is MoxingException or IOException)
                {
                    problem = e.Message;
                }
                yield return (path, manifest, problem);
            }
    }

    private long CollectGarbageLocked()
    {
        var blobs = new HashSet<string>(StringComparer.Ordinal);
        var snapshots = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, manifest, _) in Manifests())
        {
            // An unreadable manifest may still own blobs: delete nothing until it is fixed or removed.
            if (manifest == null) return 0;
            foreach (var file in manifest.Files) blobs.Add(ContentDigest.FileName(file.Digest));
            snapshots.Add(ContentDigest.Hex(manifest.ContentId));
        }
        long freed = 0;
        foreach (var blob in Directory.EnumerateFiles(BlobsFolder))
        {
            if (blobs.Contains(Path.GetFileName(blob))) continue;
            var size = new FileInfo(blob).Length;
            if (TryDelete(() => File.Delete(blob))) freed += size;
        }
        foreach (var snapshot in Directory.EnumerateDirectories(SnapshotsFolder))
            if (!snapshots.Contains(Path.GetFileName(snapshot))) TryDelete(() => Directory.Delete(snapshot, recursive: true));
        DeleteAbandonedWork();
        return freed;
    }

    // Staging folders and temp blobs of a process that crashed, and uploads no model was created from; a day is far longer than
    // any live one needs between its writes.
    private void DeleteAbandonedWork()
    {
        var cutoff = DateTime.UtcNow - TimeSpan.FromDays(1);
        foreach (var entry in new DirectoryInfo(TempFolder).EnumerateFileSystemInfos())
        {
            if (!(entry.Name.StartsWith("stage-", StringComparison.Ordinal) || entry.Name.StartsWith("blob-", StringComparison.Ordinal)
                  || entry.Name.StartsWith("snapshot-", StringComparison.Ordinal) || entry.Name.StartsWith("export-", StringComparison.Ordinal)
                  || entry.Name.StartsWith(UploadPrefix, StringComparison.Ordinal) || entry.Name.StartsWith("quantize-", StringComparison.Ordinal))
                || entry.LastWriteTimeUtc > cutoff) continue;
            TryDelete(() =>
            {
                if (entry is DirectoryInfo folder) folder.Delete(recursive: true);
                else entry.Delete();
            });
        }
    }

    // A file still mapped by a running model cannot be deleted on Windows: the next collection retries.
    private static bool TryDelete(Action delete)
    {
        try
        {
            delete();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void DeleteIfEmpty(string folder)
    {
        if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any()) TryDelete(() => Directory.Delete(folder));
    }
}
