using System.Security.Cryptography;
using System.Text;
using Moxing.Server.Store;

namespace Moxing.Server.Models;

/// <summary>
/// The models named on the command line (<c>--model PATH</c>, named after the file or folder) and every model folder or
/// GGUF file directly inside <c>--models-dir</c> (rescanned on each call, so new models appear without a restart).
/// </summary>
public sealed class PathModelCatalog : IModelCatalog
{
    private readonly IReadOnlyList<string> _paths;
    private readonly string? _directory;
    private readonly string? _projector;

    /// <summary>
    /// A catalog over explicit <paramref name="paths"/> and the contents of <paramref name="directory"/>; <paramref name="projector"/>
    /// (an mmproj GGUF) is loaded with the one model of <paramref name="paths"/>.
    /// </summary>
    public PathModelCatalog(IEnumerable<string> paths, string? directory = null, string? projector = null)
    {
        _paths = paths.Select(System.IO.Path.GetFullPath).ToList();
        foreach (var path in _paths)
            if (!IsModel(path)) throw new Core.MoxingException($"{path}: not a model (expected a folder with config.json or classifier.json, or a .gguf file)");
        if (projector != null && _paths.Count != 1) throw new Core.MoxingException($"--mmproj {projector}: a projector goes with exactly one MODEL path, {_paths.Count} are given");
        if (projector != null && !File.Exists(projector)) throw new Core.MoxingException($"{projector}: no such projector (mmproj GGUF) file");
        _projector = projector is null ? null : System.IO.Path.GetFullPath(projector);
        if (directory is not null && !Directory.Exists(directory)) throw new Core.MoxingException($"{directory}: no such models folder");
        _directory = directory;
    }

    /// <inheritdoc />
    public IReadOnlyList<CatalogEntry> List()
    {
        var entries = new List<CatalogEntry>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        IEnumerable<string> found = _directory is null ? [] : Directory.EnumerateFileSystemEntries(_directory).Where(IsModel).Order(StringComparer.Ordinal);
        foreach (var path in _paths.Concat(found))
        {
            var entry = Describe(path);
            if (_projector != null && path == _paths[0]) entry = entry with { Projector = _projector };
            if (names.Add(entry.Name)) entries.Add(entry);
        }
        return entries;
    }

    /// <inheritdoc />
    public CatalogEntry? Find(string name) => List().FirstOrDefault(e => ModelName.SameModel(e.Name, name));

    private static bool IsModel(string path) =>
        Directory.Exists(path) ? File.Exists(System.IO.Path.Combine(path, "config.json")) || Training.Export.ClassifierManifest.IsIn(path)
        : File.Exists(path) && path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)
          // llama.cpp's vision projectors sit beside their models as mmproj*.gguf: not models of their own
          && !System.IO.Path.GetFileName(path).StartsWith("mmproj", StringComparison.OrdinalIgnoreCase);

    private static CatalogEntry Describe(string path)
    {
        var files = Directory.Exists(path)
            ? new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories).OrderBy(f => f.FullName, StringComparer.Ordinal).ToList()
            : [new FileInfo(path)];
        var name = System.IO.Path.GetFileName(path.TrimEnd(System.IO.Path.DirectorySeparatorChar));
        if (name.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)) name = name[..^5];
        // Identity from names, sizes and times: hashing gigabytes of weights at every listing would be far too slow.
        var identity = new StringBuilder();
        foreach (var f in files) identity.Append(f.Name).Append('\0').Append(f.Length).Append('\0').Append(f.LastWriteTimeUtc.Ticks).Append('\n');
        var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity.ToString())));
        var modified = files.Count == 0 ? DateTime.UnixEpoch : files.Max(f => f.LastWriteTimeUtc);
        return new CatalogEntry(name, path, files.Sum(f => f.Length), new DateTimeOffset(modified, TimeSpan.Zero), "sha256:" + digest);
    }
}
