using Moxing.Models;

namespace Moxing.Server.Store.Hub;

/// <summary>
/// The store side of a pull, whatever it pulls from: each file is linked from a blob the store already holds or downloaded into a staging
/// folder; then the model is checked to load and registered, and the finished downloads (now blobs) leave the downloads folder.
/// </summary>
internal sealed class PullStaging(ModelStore store, ModelFormat format, IProgress<PullProgress>? progress) : IDisposable
{
    private readonly List<string> _downloads = [];

    /// <summary>The staging folder the files go to.</summary>
    public ModelStaging Staging { get; } = new(store.TempFolder, format);

    /// <summary>
    /// Stages <paramref name="path"/>: a link to the store's blob when <paramref name="digest"/> is known and held, else what <paramref name="download"/>
    /// (given a progress callback) fetches into <see cref="ModelStore.DownloadsFolder"/>; a <paramref name="projector"/> is staged as the
    /// model's vision projector (after the model's files).
    /// </summary>
    public async Task AddAsync(string path, string? digest, long? size, Func<string, Action<long, long?>, Task<(string Path, string Digest)>> download,
        CancellationToken cancellation, bool projector = false)
    {
        cancellation.ThrowIfCancellationRequested();
        // A blob the store already holds is linked, not downloaded; the link keeps it alive even if a removal collects it meanwhile.
        if (digest != null && File.Exists(store.BlobPath(digest)))
        {
            Stage(path, store.BlobPath(digest), digest, projector);
            progress?.Report(new PullProgress(PullStage.Downloading, path, digest, size ?? 0, size));
            return;
        }
        var (file, actual) = await download(store.DownloadsFolder,
            (done, total) => progress?.Report(new PullProgress(PullStage.Downloading, path, digest, done, total)));
        Stage(path, file, actual, projector);
        _downloads.Add(file);
    }

    private void Stage(string path, string file, string digest, bool projector)
    {
        if (projector) Staging.AddProjector(path, file, digest);
        else Staging.Add(path, file, digest);
    }

    /// <summary>
    /// Checks the staged model loads (errors name <paramref name="what"/>) and registers it under <paramref name="name"/> with its
    /// <paramref name="defaults"/> and <paramref name="license"/>; <paramref name="notice"/>, given the checked model, may say something
    /// the user should know.
    /// </summary>
    public StoreEntry Register(ModelName name, string source, string what, CancellationToken cancellation, ModelDefaults? defaults = null,
        string? license = null, Func<string, ModelDetails, string?>? notice = null)
    {
        progress?.Report(new PullProgress(PullStage.Verifying));
        var details = ModelStore.Check(Staging, what);
        if (notice?.Invoke(Staging.ModelPath, details) is { } message) progress?.Report(new PullProgress(PullStage.Notice, Message: message));
        progress?.Report(new PullProgress(PullStage.Writing));
        var entry = store.Commit(Staging, name, source, details, cancellation, defaults, license);
        // Registered: the finished downloads live on as blobs (hard links), so their tmp names can go.
        foreach (var download in _downloads) File.Delete(download);
        progress?.Report(new PullProgress(PullStage.Done));
        return entry;
    }

    /// <summary>Deletes the staging folder unless the store adopted it.</summary>
    public void Dispose() => Staging.Dispose();
}
