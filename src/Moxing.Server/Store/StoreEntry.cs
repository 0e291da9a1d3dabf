using Moxing.Models;

namespace Moxing.Server.Store;

/// <summary>A registered model: its name, manifest, and the path <see cref="ModelLoader.Load"/> opens.</summary>
/// <param name="Name">Name and tag.</param>
/// <param name="Manifest">The manifest as stored.</param>
/// <param name="ModelPath">The GGUF file or Hugging Face folder inside the store's snapshots.</param>
public sealed record StoreEntry(ModelName Name, ModelManifest Manifest, string ModelPath)
{
    /// <summary>GGUF or Hugging Face folder.</summary>
    public ModelFormat Format => Manifest.Format;

    /// <summary>Total bytes of its files.</summary>
    public long Size => Manifest.Size;

    /// <summary>Digest of its content (equal for two names of the same files).</summary>
    public string Digest => Manifest.ContentId;

    /// <summary>When it was registered.</summary>
    public DateTimeOffset Modified => Manifest.Created;

    /// <summary>Architecture, parameters, context, quantization, kind.</summary>
    public ModelDetails Details => Manifest.Details;

    /// <summary>The vision projector file in the snapshot, or null.</summary>
    public string? ProjectorPath { get; init; }

    /// <summary>The model's own generation defaults, or null.</summary>
    public ModelDefaults? Defaults => Manifest.Defaults;
}
