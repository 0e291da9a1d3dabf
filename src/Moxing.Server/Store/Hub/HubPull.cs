using Moxing.Core.Formats;
using Moxing.Models;

namespace Moxing.Server.Store.Hub;

/// <summary>One pull: list the repository, choose files, download (or reuse) each into a staging folder, check the model loads, register it.</summary>
internal sealed class HubPull(ModelStore store, HubReference reference, PullOptions options, IProgress<PullProgress>? progress)
{
    public async Task<StoreEntry> RunAsync(CancellationToken cancellation)
    {
        var name = options.Name != null ? ModelName.Parse(options.Name) : reference.DefaultName();
        using var client = new HubClient(options);
        progress?.Report(new PullProgress(PullStage.Listing));
        var repository = await client.ListAsync(reference.Repository, options.Revision, cancellation);
        // Every file comes from the commit the revision pointed at when listed, so a push during the pull cannot mix versions.
        var revision = repository.Commit ?? options.Revision;
        var (format, files) = HubFileSelection.Select(reference, repository);
        using var pull = new PullStaging(store, format, progress);
        foreach (var file in files)
            await FetchAsync(client, revision, file, pull, cancellation);
        if (format == ModelFormat.HuggingFace && HfModelFiles.IsSharded(files.Select(f => f.Path).ToList()))
            foreach (var shard in HfModelFiles.Shards(pull.Staging.PathOf(ModelTensors.IndexFileName)))
            {
                var file = repository.Find(shard)
                           ?? throw new HubException($"{reference}: shard '{shard}' named in {ModelTensors.IndexFileName} is not in the repository");
                await FetchAsync(client, revision, file, pull, cancellation);
            }
        // llama.cpp's vision projector beside the GGUF, when the repository has one
        if (format == ModelFormat.Gguf && HubFileSelection.Projector(repository) is { } projector)
            await pull.AddAsync(projector.Path, projector.Digest, projector.Size,
                (folder, report) => client.DownloadAsync(reference.Repository, revision, projector, folder, report, cancellation), cancellation, projector: true);
        return pull.Register(name, $"hf:{reference.Repository}@{revision} ({client.Endpoint})", reference.ToString(), cancellation);
    }

    private Task FetchAsync(HubClient client, string revision, HubFile file, PullStaging pull, CancellationToken cancellation) =>
        pull.AddAsync(file.Path, file.Digest, file.Size,
            (folder, report) => client.DownloadAsync(reference.Repository, revision, file, folder, report, cancellation), cancellation);
}
