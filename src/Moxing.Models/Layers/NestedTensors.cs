using Moxing.Core.Tensors;

namespace Moxing.Models.Layers;

/// <summary>
/// The text model of a multimodal checkpoint under the names of its text-only class: tensors whose name starts with a
/// rename's prefix take its replacement (Gemma 3's "model.language_model.layers.0…" → "model.layers.0…"), tensors under an
/// ignored prefix (vision tower, projector) are left out, the rest keep their names.
/// </summary>
public sealed class NestedTensors : ITensorSource
{
    private readonly ITensorSource _source;
    private readonly Dictionary<string, StoredTensor> _byName = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public IReadOnlyList<StoredTensor> Tensors { get; }

    /// <summary>Views <paramref name="source"/> (which it then owns; <paramref name="path"/> names it in errors) through <paramref name="renames"/> and <paramref name="ignored"/>.</summary>
    public unsafe NestedTensors(ITensorSource source, string path, IReadOnlyList<(string From, string To)> renames, IReadOnlyList<string> ignored)
    {
        _source = source;
        var tensors = new List<StoredTensor>();
        try
        {
            foreach (var t in source.Tensors)
            {
                if (ignored.Any(p => t.Name.StartsWith(p, StringComparison.Ordinal))) continue;
                var rename = renames.FirstOrDefault(r => t.Name.StartsWith(r.From, StringComparison.Ordinal));
                var tensor = rename.From == null ? t : new StoredTensor(rename.To + t.Name[rename.From.Length..], t.Type, t.Shape, t.Data, t.ByteLength);
                if (!_byName.TryAdd(tensor.Name, tensor))
                    throw new Core.InvalidModelFileException(path, $"the checkpoint holds tensor '{tensor.Name}' twice (once as '{t.Name}')");
                tensors.Add(tensor);
            }
        }
        catch
        {
            source.Dispose();
            throw;
        }
        Tensors = tensors;
    }

    /// <inheritdoc />
    public StoredTensor? Find(string name) => _byName.GetValueOrDefault(name);

    /// <inheritdoc />
    public void Dispose() => _source.Dispose();
}
