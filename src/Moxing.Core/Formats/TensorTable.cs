using Moxing.Core.Tensors;

namespace Moxing.Core.Formats;

/// <summary>Tensors in file order plus a by-name lookup; rejects duplicate names.</summary>
internal sealed class TensorTable
{
    private readonly List<StoredTensor> _list;
    private readonly Dictionary<string, StoredTensor> _byName;

    public TensorTable(int capacity)
    {
        _list = new List<StoredTensor>(capacity);
        _byName = new Dictionary<string, StoredTensor>(capacity, StringComparer.Ordinal);
    }

    /// <summary>Every tensor, in the order added.</summary>
    public IReadOnlyList<StoredTensor> Tensors => _list;

    /// <summary>Adds <paramref name="tensor"/>; false when its name is already taken.</summary>
    public bool TryAdd(StoredTensor tensor)
    {
        if (!_byName.TryAdd(tensor.Name, tensor)) return false;
        _list.Add(tensor);
        return true;
    }

    /// <summary>The tensor called <paramref name="name"/>, or null.</summary>
    public StoredTensor? Find(string name) => _byName.GetValueOrDefault(name);
}
