using Moxing.Core.Tensors;

namespace Moxing.Models.Layers;

/// <summary>
/// A tensor a checkpoint stores in a layout of its own (gpt-oss's MXFP4 blocks and scales, its fused and transposed experts),
/// as the decoder reads it: computed from the stored tensors named in <see cref="From"/> by <see cref="Fill"/>, which writes
/// <see cref="ByteLength"/> bytes of <see cref="Type"/> in <see cref="Shape"/> (outermost first).
/// </summary>
public sealed unsafe record DerivedTensor(string Name, DType Type, long[] Shape, IReadOnlyList<string> From, Action<nint> Fill)
{
    /// <summary>Bytes of the computed tensor.</summary>
    public long ByteLength => Type.ByteCount(Shape.Aggregate(1L, (a, d) => checked(a * d)));

    /// <summary>Computes the tensor into <paramref name="target"/> (<see cref="ByteLength"/> bytes).</summary>
    public void WriteTo(byte* target) => Fill((nint)target);
}

/// <summary>
/// A tensor source with some tensors replaced by <see cref="DerivedTensor"/>s, computed once into memory of its own when
/// opened: the stored tensors they are made from are left out, the rest are the source's. Owns the source.
/// </summary>
public sealed unsafe class DerivedTensors : ITensorSource
{
    private readonly ITensorSource _source;
    private readonly TensorArena _arena = new();
    private readonly Dictionary<string, StoredTensor> _derived = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public IReadOnlyList<StoredTensor> Tensors { get; }

    /// <summary>The computed tensors (in memory, not mapped from the file).</summary>
    public IReadOnlyList<StoredTensor> Computed => [.. _derived.Values];

    /// <summary>Computes <paramref name="derived"/> from <paramref name="source"/> (which it then owns).</summary>
    public DerivedTensors(ITensorSource source, IReadOnlyList<DerivedTensor> derived)
    {
        _source = source;
        try
        {
            var consumed = derived.SelectMany(d => d.From).ToHashSet(StringComparer.Ordinal);
            foreach (var d in derived)
            {
                var bytes = d.ByteLength;
                var memory = _arena.Allocate(bytes);
                d.WriteTo(memory);
                _derived[d.Name] = new StoredTensor(d.Name, d.Type, d.Shape, memory, bytes);
            }
            Tensors = [.. source.Tensors.Where(t => !consumed.Contains(t.Name)), .. _derived.Values];
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public StoredTensor? Find(string name) => _derived.GetValueOrDefault(name) ?? _source.Find(name);

    /// <inheritdoc />
    public void Dispose()
    {
        _source.Dispose();
        _arena.Dispose();
    }
}
