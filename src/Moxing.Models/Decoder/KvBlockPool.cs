using Moxing.Core;
using Moxing.Core.Ops;
using Moxing.Core.Tensors;

namespace Moxing.Models.Decoder;

/// <summary>
/// Preallocated keys and values in fixed-size blocks of <see cref="BlockSize"/> positions × every layer × every KV head,
/// stored as F16 (default), Q8_0 or F32. Blocks are reference-counted so sequences with a common prompt prefix share the
/// blocks of that prefix; a block is written only while one holder owns it (<see cref="SequenceKv"/> copies on write).
/// Thread-safe for allocation and reference counting.
/// </summary>
public sealed class KvBlockPool
{
    // Blocks live in slabs of at most ~1 GiB, as one managed array cannot hold an arbitrary budget.
    private const long SlabBytes = 1L << 30;

    private readonly byte[][] _slabs;
    private readonly int _blocksPerSlab;
    private readonly int[] _refCounts;
    private readonly int[] _free;
    private readonly object _gate = new();
    // Per pool layer: the bytes of one head's keys and values in a block, and where the layer starts in a block.
    private readonly int[] _keyHeadBytes;
    private readonly int[] _valueHeadBytes;
    private readonly long[] _layerStart;
    private readonly KvLayerShape[] _shapes;
    private int _freeCount;

    /// <summary>Transformer blocks whose keys/values a block holds.</summary>
    public int LayerCount { get; }

    /// <summary>Key/value heads of the first layer (all layers but Gemma 4's full ones have as many).</summary>
    public int KvHeadCount => _shapes.Length == 0 ? 0 : _shapes[0].KvHeads;

    /// <summary>Dimensions per key head of the first layer.</summary>
    public int HeadDim => _shapes.Length == 0 ? 0 : _shapes[0].HeadDim;

    /// <summary>Dimensions per value head of the first layer (DeepSeek's MLA: its latent, narrower than the key row).</summary>
    public int ValueHeadDim => _shapes.Length == 0 ? 0 : _shapes[0].ValueDim;

    /// <summary>Whether the first layer's values are the first <see cref="ValueHeadDim"/> dimensions of each key row, stored once (MLA's latent), rather than rows of their own.</summary>
    public bool ValuesInKeys => _shapes.Length > 0 && _shapes[0].ValuesInKeys;

    /// <summary>Positions per block.</summary>
    public int BlockSize { get; }

    /// <summary>How keys and values are stored: F16, Q8_0 or F32.</summary>
    public DType Type { get; }

    /// <summary>Bytes of one stored key row (one position of one head) of the first layer.</summary>
    public int RowBytes => RowBytesOf(0);

    /// <summary>Bytes of one stored value row (one position of one head) of the first layer; with <see cref="ValuesInKeys"/> the key row's, which holds the value.</summary>
    public int ValueRowBytes => ValueRowBytesOf(0);

    /// <summary>Bytes of one stored key row of pool layer <paramref name="layer"/>.</summary>
    public int RowBytesOf(int layer) => _shapes.Length == 0 ? 0 : AttentionRows.RowBytes(Type, _shapes[layer].HeadDim);

    /// <summary>Bytes of one stored value row of pool layer <paramref name="layer"/>; with its values in its keys the key row's.</summary>
    public int ValueRowBytesOf(int layer) => _shapes.Length == 0 ? 0
        : _shapes[layer].ValuesInKeys ? RowBytesOf(layer) : AttentionRows.RowBytes(Type, _shapes[layer].ValueDim);

    /// <summary>The shapes of the pool's layers.</summary>
    public IReadOnlyList<KvLayerShape> Shapes => _shapes;

    /// <summary>Bytes of one block.</summary>
    public long BytesPerBlock { get; }

    /// <summary>Blocks in the pool.</summary>
    public int BlockCount { get; }

    /// <summary>Blocks not held by anyone.</summary>
    public int FreeBlockCount
    {
        get { lock (_gate) return _freeCount; }
    }

    /// <summary>Bytes held by the pool: its blocks and the recurrent states.</summary>
    public long Bytes => BytesPerBlock * BlockCount + (States?.Bytes ?? 0);

    /// <summary>Recurrent state of the sequences for a model with recurrent layers (LFM2, Mamba2), null for one that only attends.</summary>
    public RecurrentStatePool? States { get; }

    /// <summary>
    /// Allocates <paramref name="blockCount"/> blocks of <paramref name="blockSize"/> positions for a model of the given shape (values
    /// <paramref name="valueHeadDim"/> wide, 0: as wide as keys; with <paramref name="valuesInKeys"/> the front of each key row, not stored
    /// again), beside the recurrent <paramref name="states"/> of its sequences if it has any.
    /// </summary>
    public KvBlockPool(int layers, int kvHeads, int headDim, DType type, int blockCount, int blockSize = 16, int valueHeadDim = 0, RecurrentStatePool? states = null,
        bool valuesInKeys = false)
        : this(Uniform(layers, kvHeads, headDim, valueHeadDim, valuesInKeys), type, blockCount, blockSize, states)
    {
    }

    /// <summary>
    /// Allocates <paramref name="blockCount"/> blocks of <paramref name="blockSize"/> positions whose layers have the given
    /// <paramref name="shapes"/> (Gemma 4's full layers hold fewer, wider heads than its sliding ones).
    /// </summary>
    public KvBlockPool(IReadOnlyList<KvLayerShape> shapes, DType type, int blockCount, int blockSize = 16, RecurrentStatePool? states = null)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        foreach (var shape in shapes)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(shape.KvHeads, 1, nameof(shapes));
            ArgumentOutOfRangeException.ThrowIfLessThan(shape.HeadDim, 1, nameof(shapes));
            ArgumentOutOfRangeException.ThrowIfLessThan(shape.ValueDim, 1, nameof(shapes));
            if (shape.ValuesInKeys) ArgumentOutOfRangeException.ThrowIfGreaterThan(shape.ValueDim, shape.HeadDim, nameof(shapes));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        if (blockCount < 1) throw new MoxingException($"a KV pool needs at least one block, got {blockCount}");
        _shapes = [.. shapes];
        LayerCount = _shapes.Length;
        States = states;
        BlockSize = blockSize;
        Type = type;
        _keyHeadBytes = new int[LayerCount];
        _valueHeadBytes = new int[LayerCount];
        _layerStart = new long[LayerCount];
        long offset = 0;
        for (var l = 0; l < LayerCount; l++)
        {
            _keyHeadBytes[l] = checked(blockSize * RowBytesOf(l));
            _valueHeadBytes[l] = _shapes[l].ValuesInKeys ? 0 : checked(blockSize * ValueRowBytesOf(l));
            _layerStart[l] = offset;
            offset += (long)_shapes[l].KvHeads * (_keyHeadBytes[l] + _valueHeadBytes[l]);
        }
        BytesPerBlock = offset;
        if (BytesPerBlock > SlabBytes)
            throw new MoxingException($"one KV block of {blockSize} positions takes {BytesPerBlock} bytes; use a smaller block size");
        BlockCount = blockCount;
        _blocksPerSlab = BytesPerBlock == 0 ? blockCount : (int)Math.Min(blockCount, SlabBytes / BytesPerBlock);
        _slabs = new byte[(blockCount + _blocksPerSlab - 1) / _blocksPerSlab][];
        for (var i = 0; i < _slabs.Length; i++)
        {
            var blocks = Math.Min(_blocksPerSlab, blockCount - i * _blocksPerSlab);
            // Uninitialized: every row is written before it is read, and untouched pages cost no memory.
            _slabs[i] = GC.AllocateUninitializedArray<byte>(checked((int)(blocks * BytesPerBlock)));
        }
        _refCounts = new int[blockCount];
        _free = new int[blockCount];
        for (var i = 0; i < blockCount; i++) _free[i] = blockCount - 1 - i;
        _freeCount = blockCount;
    }

    /// <summary>
    /// A pool of as many blocks as fit in <paramref name="byteBudget"/> bytes (at least one); for a model with recurrent layers the
    /// state of <paramref name="sequences"/> sequences at once comes out of the budget first.
    /// </summary>
    public static KvBlockPool ForBudget(DecoderOptions o, DType type, long byteBudget, int blockSize = 16, int sequences = 16)
    {
        var states = StatesFor(o, sequences);
        var perBlock = blockSize * BytesPerPosition(o, type);
        var blocks = (byteBudget - (states?.Bytes ?? 0)) / perBlock;
        if (blocks < 1)
            throw new MoxingException($"a KV budget of {byteBudget} bytes holds no block; one block of {blockSize} positions takes {perBlock} bytes" +
                (states == null ? "" : $" beside {states.Bytes} bytes of recurrent state for {sequences} sequences"));
        return new KvBlockPool(o.KvLayerShapes(), type, checked((int)Math.Min(blocks, int.MaxValue)), blockSize, states);
    }

    /// <summary>
    /// Bytes one position's keys and values take in every attention layer of a model shaped by <paramref name="o"/>, stored as
    /// <paramref name="type"/> (MLA: one latent row per layer); a model without attention layers is counted 1 byte (its blocks'
    /// bookkeeping), so budgets in positions stay finite.
    /// </summary>
    public static long BytesPerPosition(DecoderOptions o, DType type) => Math.Max(1, o.KvLayerShapes().Sum(s =>
        (long)s.KvHeads * (AttentionRows.RowBytes(type, s.HeadDim) + (s.ValuesInKeys ? 0 : AttentionRows.RowBytes(type, s.ValueDim)))));

    /// <summary>Bytes of one sequence's recurrent state for a model shaped by <paramref name="o"/> (0 when it only attends).</summary>
    public static long StateBytesPerSequence(DecoderOptions o) => o.RecurrentStateFloats * (long)sizeof(float);

    /// <summary>A pool just large enough for <paramref name="sequences"/> sequences of <paramref name="positions"/> positions each.</summary>
    public static KvBlockPool ForPositions(DecoderOptions o, DType type, int positions, int blockSize = 16, int sequences = 1) =>
        new(o.KvLayerShapes(), type, checked(sequences * Math.Max(1, (positions + blockSize - 1) / blockSize)), blockSize, StatesFor(o, sequences));

    // Every layer of one shape; a model without attention layers (plain Mamba2) keeps no keys or values: its blocks only count positions.
    private static KvLayerShape[] Uniform(int layers, int kvHeads, int headDim, int valueHeadDim, bool valuesInKeys)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layers);
        ArgumentOutOfRangeException.ThrowIfNegative(valueHeadDim);
        return [.. Enumerable.Repeat(new KvLayerShape(kvHeads, headDim, valueHeadDim == 0 ? headDim : valueHeadDim, valuesInKeys), layers)];
    }

    private static RecurrentStatePool? StatesFor(DecoderOptions o, int sequences) =>
        o.RecurrentStateFloats > 0 ? new RecurrentStatePool(o.RecurrentStateFloats, sequences) : null;

    /// <summary>Whether the pool's layers have the shapes of the storing layers of a model shaped by <paramref name="o"/> (checked without allocating).</summary>
    public bool Fits(DecoderOptions o)
    {
        var rank = 0;
        for (var l = 0; l < o.LayerCount; l++)
        {
            if (!o.StoresKv(l)) continue;
            if (rank >= LayerCount || _shapes[rank++] != o.CacheShapeOf(l)) return false;
        }
        return rank == LayerCount;
    }

    /// <summary>Takes a free block (reference count 1); throws <see cref="KvPoolExhaustedException"/> when none is left.</summary>
    public int Allocate()
    {
        if (!TryAllocate(out var block)) throw new KvPoolExhaustedException(1, 0, BlockCount);
        return block;
    }

    /// <summary>Adds a holder to <paramref name="block"/> (a sequence or a prefix cache sharing it).</summary>
    public void Retain(int block)
    {
        lock (_gate)
        {
            CheckHeld(block);
            _refCounts[block]++;
        }
    }

    /// <summary>Drops a holder of <paramref name="block"/>; the last one returns it to the free list.</summary>
    public void Release(int block)
    {
        lock (_gate)
        {
            CheckHeld(block);
            if (--_refCounts[block] == 0) _free[_freeCount++] = block;
        }
    }

    /// <summary>Holders of <paramref name="block"/> (0 when free).</summary>
    public int RefCount(int block)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)block, (uint)BlockCount, nameof(block));
        lock (_gate) return _refCounts[block];
    }

    /// <summary>Copies every row of <paramref name="source"/> into <paramref name="target"/>.</summary>
    public void Copy(int source, int target) => BlockBytes(source).CopyTo(BlockBytes(target));

    /// <summary>The stored keys of one head of pool layer <paramref name="layer"/> in <paramref name="block"/>: <see cref="BlockSize"/> rows of <see cref="RowBytesOf"/>.</summary>
    public Span<byte> Keys(int block, int layer, int kvHead) =>
        BlockBytes(block).Slice(checked((int)_layerStart[layer]) + kvHead * _keyHeadBytes[layer], _keyHeadBytes[layer]);

    /// <summary>The stored values of one head of pool layer <paramref name="layer"/> in <paramref name="block"/>: <see cref="BlockSize"/> rows of
    /// <see cref="ValueRowBytesOf"/> (with its values in its keys, the key rows).</summary>
    public Span<byte> Values(int block, int layer, int kvHead) => _shapes[layer].ValuesInKeys ? Keys(block, layer, kvHead)
        : BlockBytes(block).Slice(checked((int)_layerStart[layer]) + _shapes[layer].KvHeads * _keyHeadBytes[layer] + kvHead * _valueHeadBytes[layer], _valueHeadBytes[layer]);

    // Layout of a block: [layer][keys [kvHead][position][key row bytes], values [kvHead][position][value row bytes] (none when in the keys)].

    private Span<byte> BlockBytes(int block)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)block, (uint)BlockCount, nameof(block));
        var (slab, index) = Math.DivRem(block, _blocksPerSlab);
        return _slabs[slab].AsSpan(checked((int)(index * BytesPerBlock)), (int)BytesPerBlock);
    }

    private void CheckHeld(int block)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)block, (uint)BlockCount, nameof(block));
        if (_refCounts[block] == 0) throw new InvalidOperationException($"KV block {block} is not allocated");
    }

    /// <summary>Takes a free block (reference count 1) if one is left.</summary>
    public bool TryAllocate(out int block)
    {
        lock (_gate)
        {
            if (_freeCount == 0)
            {
                block = -1;
                return false;
            }
            block = _free[--_freeCount];
            _refCounts[block] = 1;
            return true;
        }
    }
}
