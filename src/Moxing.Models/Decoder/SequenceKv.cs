using Moxing.Core;

namespace Moxing.Models.Decoder;

/// <summary>
/// The keys and values of one sequence: a table of <see cref="KvBlockPool"/> blocks covering positions [0, Length).
/// Full blocks may be shared with other sequences (<see cref="AttachPrefix(ReadOnlySpan{int})"/>); a shared block is copied before it is
/// written. A model with recurrent layers (LFM2, Mamba2) also keeps a slot of the pool's <see cref="KvBlockPool.States"/>, taken zeroed
/// when the empty sequence first writes (or holding a cached prefix's state) and given back when it is emptied: such a sequence
/// shares a prefix only together with the state at the prefix's end, and cannot be rewound, as its state sums every position it has seen. Not thread-safe: one sequence belongs to one scheduler step at a time.
/// </summary>
public sealed class SequenceKv : IDisposable
{
    private readonly int[] _blocks;
    private int _blockCount;
    private int _stateSlot = -1;

    /// <summary>The pool the blocks come from.</summary>
    public KvBlockPool Pool { get; }

    /// <summary>Most positions the sequence may hold.</summary>
    public int Capacity { get; }

    /// <summary>Positions whose keys and values are stored.</summary>
    public int Length { get; private set; }

    /// <summary>The blocks holding positions [0, Length), in order; block i holds positions [i·BlockSize, (i+1)·BlockSize).</summary>
    public ReadOnlySpan<int> Blocks => _blocks.AsSpan(0, (Length + Pool.BlockSize - 1) / Pool.BlockSize);

    /// <summary>Blocks completely filled (the ones a prefix cache may share).</summary>
    public int FullBlockCount => Length / Pool.BlockSize;

    /// <summary>An empty sequence of up to <paramref name="capacity"/> positions; it holds no block until written.</summary>
    public SequenceKv(KvBlockPool pool, int capacity)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (capacity < 1) throw new MoxingException($"a sequence needs a capacity of at least 1 position, got {capacity}");
        Pool = pool;
        Capacity = capacity;
        _blocks = new int[(capacity + pool.BlockSize - 1) / pool.BlockSize];
    }

    /// <summary>
    /// Appends full blocks already holding the keys/values of the next positions (a cached prompt prefix), taking a
    /// reference to each; the sequence must end on a block boundary.
    /// </summary>
    public void AttachPrefix(ReadOnlySpan<int> blocks)
    {
        if (Pool.States != null && !blocks.IsEmpty)
            throw new InvalidOperationException("a sequence with recurrent state cannot take a prefix's blocks without that prefix's state");
        var size = Pool.BlockSize;
        if (Length % size != 0)
            throw new InvalidOperationException($"prefix blocks attach at a block boundary; the sequence holds {Length} positions (block size {size})");
        if (Length + (long)blocks.Length * size > Capacity)
            throw new MoxingException($"context full: {Length + (long)blocks.Length * size} positions exceed the context of {Capacity}");
        ReleaseFrom(Length / size);
        foreach (var block in blocks)
        {
            Pool.Retain(block);
            _blocks[_blockCount++] = block;
            Length += size;
        }
    }

    /// <summary>
    /// Starts an empty sequence of a model with recurrent layers from a cached prefix: the full <paramref name="blocks"/> of
    /// its keys/values, then <paramref name="tailLength"/> positions of the shared <paramref name="tailBlock"/> (copied before
    /// it is written), and <paramref name="state"/>, the recurrent state at the prefix's end, copied into a slot of its own.
    /// </summary>
    public void AttachPrefix(ReadOnlySpan<int> blocks, int tailBlock, int tailLength, ReadOnlySpan<float> state)
    {
        if (Pool.States is not { } states) throw new InvalidOperationException("a sequence without recurrent state takes a prefix's blocks alone");
        if (Length != 0) throw new InvalidOperationException($"a prefix with its recurrent state starts an empty sequence; this one holds {Length} positions");
        if (state.Length != states.FloatsPerSlot)
            throw new ArgumentException($"a recurrent state of {state.Length} floats does not fit slots of {states.FloatsPerSlot}", nameof(state));
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)tailLength, (uint)Pool.BlockSize, nameof(tailLength));
        if ((long)blocks.Length * Pool.BlockSize + tailLength > Capacity)
            throw new MoxingException($"context full: {(long)blocks.Length * Pool.BlockSize + tailLength} positions exceed the context of {Capacity}");
        if (_stateSlot < 0 && !states.TryTake(out _stateSlot)) throw new RecurrentStateExhaustedException(states.SlotCount);
        state.CopyTo(states.State(_stateSlot));
        foreach (var block in blocks)
        {
            Pool.Retain(block);
            _blocks[_blockCount++] = block;
        }
        Length = blocks.Length * Pool.BlockSize;
        if (tailLength == 0) return;
        Pool.Retain(tailBlock);
        _blocks[_blockCount++] = tailBlock;
        Length += tailLength;
    }

    /// <summary>Copies the recurrent state of the sequence (its positions [0, Length) summed up) into <paramref name="destination"/>.</summary>
    public void CopyStateTo(Span<float> destination)
    {
        if (_stateSlot < 0) throw new InvalidOperationException("the sequence holds no recurrent state: it has not been written, or its model only attends");
        Pool.States!.State(_stateSlot).CopyTo(destination);
    }

    /// <summary>Blocks the pool must supply before <paramref name="count"/> more positions can be appended (new ones plus a shared tail to copy).</summary>
    public int BlocksNeeded(int count)
    {
        var size = Pool.BlockSize;
        var needed = Math.Max(0, (Length + count + size - 1) / size - _blockCount);
        var tail = Length / size;
        if (count > 0 && tail < _blockCount && Pool.RefCount(_blocks[tail]) > 1) needed++;
        return needed;
    }

    /// <summary>Forgets every position from <paramref name="length"/> on and releases the blocks no longer needed (0 empties the sequence).</summary>
    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Length);
        if (_stateSlot >= 0 && length != Length && length != 0)
            throw new InvalidOperationException($"a sequence with recurrent state cannot be rewound from {Length} to {length} positions, only emptied");
        Length = length;
        ReleaseFrom((length + Pool.BlockSize - 1) / Pool.BlockSize);
        if (length == 0 && _stateSlot >= 0)
        {
            Pool.States!.Give(_stateSlot);
            _stateSlot = -1;
        }
    }

    /// <summary>Releases every block; the sequence is empty and may be reused.</summary>
    public void Release() => Truncate(0);

    /// <inheritdoc />
    public void Dispose() => Release();

    /// <summary>
    /// Makes room to write positions [Length, Length + count): allocates blocks and copies a shared tail block. On
    /// <see cref="KvPoolExhaustedException"/> nothing changed.
    /// </summary>
    internal void Reserve(int count)
    {
        if (Pool.States is { } states && _stateSlot < 0 && !states.TryTake(out _stateSlot))
            throw new RecurrentStateExhaustedException(states.SlotCount);
        var needed = BlocksNeeded(count);
        if (needed == 0) return;
        var size = Pool.BlockSize;
        var before = _blockCount;
        var target = (Length + count + size - 1) / size;
        var tail = Length / size;
        var copyTail = tail < before && Pool.RefCount(_blocks[tail]) > 1;
        var copy = -1;
        while (_blockCount < target || (copyTail && copy < 0))
        {
            if (!Pool.TryAllocate(out var block))
            {
                if (copy >= 0) Pool.Release(copy);
                var free = Pool.FreeBlockCount;
                ReleaseFrom(before);
                throw new KvPoolExhaustedException(needed, free, Pool.BlockCount);
            }
            if (_blockCount < target) _blocks[_blockCount++] = block;
            else copy = block;
        }
        if (copy < 0) return;
        Pool.Copy(_blocks[tail], copy);
        Pool.Release(_blocks[tail]);
        _blocks[tail] = copy;
    }

    /// <summary>Counts <paramref name="count"/> positions written after <see cref="Reserve"/>.</summary>
    internal void Advance(int count) => Length += count;

    /// <summary>The recurrent state of the sequence (taken by <see cref="Reserve"/>); empty for a model that only attends.</summary>
    internal Span<float> RecurrentState => _stateSlot < 0 ? default : Pool.States!.State(_stateSlot);

    /// <summary>The pool block holding position <paramref name="position"/>.</summary>
    internal int BlockOf(int position) => _blocks[position / Pool.BlockSize];

    private void ReleaseFrom(int keep)
    {
        while (_blockCount > keep) Pool.Release(_blocks[--_blockCount]);
    }
}
