using System.Collections.Concurrent;
using Moxing.Server.Http;
using Moxing.Server.Models;
using Moxing.Training.Export;

namespace Moxing.Server.Classify;

/// <summary>The classifiers of a catalog, loaded on first use and kept (they are small); a changed folder digest loads afresh.</summary>
public sealed class ClassifierModels(IModelCatalog catalog)
{
    private readonly ConcurrentDictionary<string, Lazy<TrainedClassifier>> _loaded = new(StringComparer.Ordinal);

    /// <summary>Every catalog entry that is a classifier.</summary>
    public IEnumerable<CatalogEntry> List() => catalog.List().Where(e => Directory.Exists(e.Path) && ClassifierManifest.IsIn(e.Path));

    /// <summary>The classifier called <paramref name="name"/>: 404 when no model has that name, 400 when the model is not a classifier.</summary>
    public TrainedClassifier Get(string name) => Find(name)
        ?? throw new ApiException(400, $"the model '{name}' is not a classifier trained by moxing train (it has no {ClassifierManifest.FileName})",
            param: "model", code: "model_not_classifier");

    /// <summary>The classifier called <paramref name="name"/>, or null when that model is not one trained by moxing train; 404 when no model has the name.</summary>
    public TrainedClassifier? Find(string name)
    {
        var entry = catalog.Find(name) ?? throw ApiException.ModelNotFound(name);
        if (!Directory.Exists(entry.Path) || !ClassifierManifest.IsIn(entry.Path)) return null;
        var key = entry.Path + "\n" + entry.Digest;
        var lazy = _loaded.GetOrAdd(key, _ => new Lazy<TrainedClassifier>(() => TrainedClassifier.Load(entry.Path)));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // A folder that failed to load is tried again on the next request (it may have been repaired).
            _loaded.TryRemove(new KeyValuePair<string, Lazy<TrainedClassifier>>(key, lazy));
            throw;
        }
    }
}
