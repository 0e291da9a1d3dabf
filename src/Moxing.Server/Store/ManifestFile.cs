namespace Moxing.Server.Store;

/// <summary>One file of a stored model: its path inside the model (e.g. "config.json"), content digest and size.</summary>
/// <param name="Path">Relative path with '/' separators, as the model folder names it.</param>
/// <param name="Digest">"sha256:" and 64 lower-case hex digits.</param>
/// <param name="Size">Length in bytes.</param>
public sealed record ManifestFile(string Path, string Digest, long Size);
