using Moxing.Server.Models;

namespace Moxing.Server.Store;

/// <summary>The model store as the server's <see cref="IModelCatalog"/>: names are <c>name:tag</c> entries, paths their snapshots.</summary>
public sealed class StoreModelCatalog(ModelStore store) : IModelCatalog
{
    /// <summary>The store behind the catalog (pull, remove, details for the Ollama endpoints).</summary>
    public ModelStore Store { get; } = store;

    /// <inheritdoc />
    public IReadOnlyList<CatalogEntry> List() => Store.List().Select(ToCatalog).ToList();

    /// <inheritdoc />
    public CatalogEntry? Find(string name) =>
        ModelName.TryParse(name, out var parsed) && Store.TryResolve(parsed.ToString()) is { } entry ? ToCatalog(entry) : null;

    /// <summary>The catalog's view of a store entry.</summary>
    public static CatalogEntry ToCatalog(StoreEntry entry) =>
        new(entry.Name.ToString(), entry.ModelPath, entry.Size, entry.Modified, entry.Digest) { Defaults = entry.Defaults, License = entry.Manifest.License, Projector = entry.ProjectorPath };
}
