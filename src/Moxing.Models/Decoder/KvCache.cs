using Moxing.Core.Tensors;

namespace Moxing.Models.Decoder;

/// <summary>The keys and values of one sequence with a pool of its own: the single-sequence case of <see cref="KvBlockPool"/> + <see cref="SequenceKv"/>.</summary>
public sealed class KvCache
{
    /// <summary>Blocks for exactly <paramref name="capacity"/> positions of a model shaped by <paramref name="o"/>.</summary>
    public KvCache(DecoderOptions o, int capacity, DType type = DType.F16)
    {
        Pool = KvBlockPool.ForPositions(o, type, capacity);
        Sequence = new SequenceKv(Pool, capacity);
    }

    /// <summary>The pool holding the blocks.</summary>
    public KvBlockPool Pool { get; }

    /// <summary>The sequence.</summary>
    public SequenceKv Sequence { get; }

    /// <summary>Positions the cache holds.</summary>
    public int Capacity => Sequence.Capacity;

    /// <summary>Bytes held by the cache.</summary>
    public long Bytes => Pool.Bytes;
}
