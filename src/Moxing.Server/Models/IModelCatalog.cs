namespace Moxing.Server.Models;

/// <summary>A model the server can serve: its name and where its files are.</summary>
/// <param name="Name">The name clients use, <c>name[:tag]</c>.</param>
/// <param name="Path">A Hugging Face model folder or a GGUF file.</param>
/// <param name="SizeBytes">Bytes on disk.</param>
/// <param name="ModifiedAt">When the files last changed.</param>
/// <param name="Digest">A stable identity of the files (<c>sha256:…</c>) for clients that compare models.</param>
public sealed record CatalogEntry(string Name, string Path, long SizeBytes, DateTimeOffset ModifiedAt, string Digest)
{
    /// <summary>The model's own generation defaults (stop strings, sampling, context cap, system prompt); null: none.</summary>
    public Store.ModelDefaults? Defaults { get; init; }

    /// <summary>The vision projector (mmproj GGUF) loaded with the model, or null.</summary>
    public string? Projector { get; init; }

    /// <summary>The model's license text, when known.</summary>
    public string? License { get; init; }
}

/// <summary>Resolves model names to files: the model store, or the paths given on the command line.</summary>
public interface IModelCatalog
{
    /// <summary>Every model, in a stable order.</summary>
    IReadOnlyList<CatalogEntry> List();

    /// <summary>The model called <paramref name="name"/> (a missing tag means <c>latest</c>), or null.</summary>
    CatalogEntry? Find(string name);
}
