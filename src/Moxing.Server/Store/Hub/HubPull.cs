using Moxing.Core.Formats;
using Moxing.Models;

namespace Moxing.Server.Store.Hub;

/// <summary>One pull: list the repository, choose files, download (or reuse) each into a staging folder, check the model loads, register it.</summary>
internal sealed class HubPull(ModelStore store, HubReference reference, PullOptions options, IProgress<PullProgress>? progress)
{
    private readonly List<string> _downloads = [];

    public async Task<StoreEntry> RunAsync(CancellationToken cancellation)
    {
        var name = options.Name != null ? ModelName.Parse(options.Name) : reference.DefaultName();
        using var client = new HubClient(options);
        progress?.Report(new PullProgress(PullStage.Listing));
        var repository = await client.ListAsync(reference.Repository, options.Revision, cancellation);
        // Every file comes from the commit the revision pointed at when listed, so a push during the pull cannot mix versions.
        var revision = repository.Commit ?? options.Revision;
        var (format, files) = HubFileSelection.Select(reference, repository);
        using var staging = new ModelStaging(store.TempFolder, format);
        foreach (var file in files)
            await FetchAsync(client, revision, file, staging, cancellation);
        if (format == ModelFormat.HuggingFace && HfModelFiles.IsSharded(files.Select(f => f.Path).ToList()))
            foreach (var shard in HfModelFiles.Shards(staging.PathOf(ModelTensors.IndexFileName)))
            {
                var file = repository.Find(shard)
                           ?? throw new HubException($"{reference}: shard '{shard}' named in {ModelTensors.IndexFileName} is not in the repository");
                await FetchAsync(client, revision, file, staging, cancellation);
            }
        progress?.Report(new PullProgress(PullStage.Verifying));
        var source = $"hf:{reference.Repository}@{revision} ({client.Endpoint})";
        var details = ModelStore.Check(staging, reference.ToString());
        progress?.Report(new PullProgress(PullStage.Writing));
        var entry = store.Commit(staging, name, source, details, cancellation);
        // Registered: the finished downloads live on as blobs (hard links), so their tmp names can go.
        foreach (var download in _downloads) File.Delete(download);
        progress?.Report(new PullProgress(PullStage.Done));
        return entry;
    }

    private async Task FetchAsync(HubClient client, string revision, HubFile file, ModelStaging staging, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        // A blob the store already holds is linked, not downloaded; the link keeps it alive even if a removal collects it meanwhile.
        if (file.Digest != null && File.Exists(store.BlobPath(file.Digest)))
        {
            staging.Add(file.Path, store.BlobPath(file.Digest), file.Digest);
            progress?.Report(new PullProgress(PullStage.Downloading, file.Path, file.Digest, file.Size ?? 0, file.Size));
            return;
        }
        var (path, digest) = await client.DownloadAsync(reference.Repository, revision, file, store.DownloadsFolder,
            (done, total) => progress?.Report(new PullProgress(PullStage.Downloading, file.Path, file.Digest, done, total)), cancellation);
        staging.Add(file.Path, path, digest);
        _downloads.Add(path);
    }
}
