namespace Moxing.Models.Decoder;

/// <summary>Keys and values of every layer for positions [0, Capacity), preallocated; layout [kvHead, position, headDim].</summary>
public sealed class KvCache
{
    private readonly float[][] _keys;
    private readonly float[][] _values;

    /// <summary>Positions the cache holds.</summary>
    public int Capacity { get; }

    /// <summary>Dimensions per head.</summary>
    public int HeadDim { get; }

    /// <summary>Key/value heads per layer.</summary>
    public int KvHeadCount { get; }

    /// <summary>Allocates a cache for <paramref name="capacity"/> positions.</summary>
    public KvCache(int layers, int kvHeads, int headDim, int capacity)
    {
        Capacity = capacity;
        HeadDim = headDim;
        KvHeadCount = kvHeads;
        var size = checked(kvHeads * capacity * headDim);
        _keys = new float[layers][];
        _values = new float[layers][];
        for (var l = 0; l < layers; l++)
        {
            _keys[l] = new float[size];
            _values[l] = new float[size];
        }
    }

    /// <summary>Bytes held by the cache.</summary>
    public long Bytes => 2L * _keys.Length * KvHeadCount * Capacity * HeadDim * sizeof(float);

    /// <summary>The keys of one head of one layer, [Capacity, HeadDim].</summary>
    public Span<float> Keys(int layer, int kvHead) => _keys[layer].AsSpan(kvHead * Capacity * HeadDim, Capacity * HeadDim);

    /// <summary>The values of one head of one layer, [Capacity, HeadDim].</summary>
    public Span<float> Values(int layer, int kvHead) => _values[layer].AsSpan(kvHead * Capacity * HeadDim, Capacity * HeadDim);

    /// <summary>Stores the keys and values ([kvHeads × headDim] each) of one position.</summary>
    public void Store(int layer, int position, ReadOnlySpan<float> k, ReadOnlySpan<float> v)
    {
        for (var g = 0; g < KvHeadCount; g++)
        {
            k.Slice(g * HeadDim, HeadDim).CopyTo(Keys(layer, g).Slice(position * HeadDim, HeadDim));
            v.Slice(g * HeadDim, HeadDim).CopyTo(Values(layer, g).Slice(position * HeadDim, HeadDim));
        }
    }
}
