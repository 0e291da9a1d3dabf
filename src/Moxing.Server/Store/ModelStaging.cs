using Moxing.Models;

namespace Moxing.Server.Store;

/// <summary>
/// A model being assembled in the store's tmp folder under its real file names (hard links where possible), so it can be loaded and
/// checked before it is registered; deleted on dispose unless the store took it over as the model's snapshot.
/// </summary>
internal sealed class ModelStaging : IDisposable
{
    private readonly List<ManifestFile> _files = [];

    public ModelStaging(string tempRoot, ModelFormat format)
    {
        Format = format;
        Folder = Path.Combine(tempRoot, "stage-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
    }

    /// <summary>The staging folder.</summary>
    public string Folder { get; private set; }

    /// <summary>GGUF or Hugging Face folder.</summary>
    public ModelFormat Format { get; }

    /// <summary>The files added so far, with their digests.</summary>
    public IReadOnlyList<ManifestFile> Files => _files;

    /// <summary>What a loader opens: the single GGUF file or the folder.</summary>
    public string ModelPath => Format == ModelFormat.Gguf ? ModelFilePath.Under(Folder, _files[0].Path) : Folder;

    /// <summary>The staged vision projector (mmproj GGUF), once <see cref="AddProjector"/> added one; null: none.</summary>
    public string? Projector { get; private set; }

    /// <summary>The staged projector's path, or null.</summary>
    public string? ProjectorPath => Projector is { } p ? PathOf(p) : null;

    /// <summary>Adds <paramref name="source"/> as the model's vision projector, after the model's own files.</summary>
    public void AddProjector(string relative, string source, string? digest = null, bool link = true)
    {
        if (_files.Count == 0) throw new InvalidOperationException("the projector is staged after the model");
        Add(relative, source, digest, link);
        Projector = relative;
    }

    /// <summary>The staged copy of <paramref name="relative"/>.</summary>
    public string PathOf(string relative) => ModelFilePath.Under(Folder, relative);

    /// <summary>Adds <paramref name="source"/> as <paramref name="relative"/> (a hard link when <paramref name="link"/> and possible, else a durable copy), hashing it unless the digest is known.</summary>
    public void Add(string relative, string source, string? digest = null, bool link = true)
    {
        var target = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        if (!link || !FileLinks.TryHardLink(source, target))
        {
            File.Copy(source, target);
            using var copy = new FileStream(target, FileMode.Open, FileAccess.ReadWrite);
            copy.Flush(flushToDisk: true);
        }
        _files.Add(new ManifestFile(relative, digest ?? ContentDigest.OfFile(target), new FileInfo(target).Length));
    }

    /// <summary>True once the store moved the folder into its snapshots: nothing to delete any more.</summary>
    public bool IsAdopted { get; private set; }

    /// <summary>Records that the store moved the folder to <paramref name="snapshot"/>.</summary>
    public void Adopt(string snapshot)
    {
        Folder = snapshot;
        IsAdopted = true;
    }

    /// <summary>Deletes the staging folder unless it was adopted.</summary>
    public void Dispose()
    {
        if (IsAdopted) return;
        try
        {
            if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still open elsewhere (Windows): the next garbage collection removes the folder.
        }
    }
}
