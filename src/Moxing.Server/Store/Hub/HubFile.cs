namespace Moxing.Server.Store.Hub;

/// <summary>A file of a Hub repository as its listing gives it.</summary>
/// <param name="Path">rfilename: the path inside the repository.</param>
/// <param name="Size">Size in bytes, when the listing gives it.</param>
/// <param name="Digest">sha256 digest of the content (the LFS oid), when the listing gives it.</param>
public sealed record HubFile(string Path, long? Size, string? Digest);

/// <summary>A Hub repository at one revision: the commit it resolved to and its files.</summary>
/// <param name="Repository">ORG/REPO.</param>
/// <param name="Commit">The commit sha the revision resolved to (files are then fetched at that commit), when given.</param>
/// <param name="Files">Every file of the repository.</param>
public sealed record HubRepository(string Repository, string? Commit, IReadOnlyList<HubFile> Files)
{
    /// <summary>The file at <paramref name="path"/>, or null.</summary>
    public HubFile? Find(string path) => Files.FirstOrDefault(f => f.Path == path);
}
