using Moxing.Server.Store;

namespace Moxing.Server.Tests.Store;

/// <summary>A model store in a fresh temp folder, deleted afterwards.</summary>
internal sealed class TempStore : IDisposable
{
    public TempStore() => Store = ModelStore.Open(Home);

    public string Home { get; } = Directory.CreateTempSubdirectory("moxing-store-").FullName;

    public ModelStore Store { get; }

    /// <summary>Files under a store folder (blobs, snapshots, tmp …), as relative paths.</summary>
    public string[] FilesIn(string folder) =>
        Directory.Exists(Path.Combine(Home, folder))
            ? Directory.EnumerateFiles(Path.Combine(Home, folder), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Home, f)).Order().ToArray()
            : [];

    public void Dispose() => Directory.Delete(Home, recursive: true);
}
