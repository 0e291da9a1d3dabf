using Moxing.Models.Decoder;

namespace Moxing.Inference.Scheduling;

/// <summary>What became of a block offered to the <see cref="PrefixCache"/>.</summary>
internal enum PublishResult
{
    /// <summary>The cache now holds a reference to the block.</summary>
    Inserted,
    /// <summary>The cache already holds these tokens after this prefix (in this or another block).</summary>
    Present,
    /// <summary>The block cannot be cached: its prefix is gone from the cache, or its key collides with other tokens.</summary>
    Rejected,
}

/// <summary>
/// Automatic prefix caching: full KV blocks of earlier sequences, keyed by a hash chained over every token up to the
/// block's end, so a new prompt that starts with the same tokens (a system prompt, an earlier chat turn) reuses their
/// keys/values. The cache holds one pool reference per block; blocks only it holds are evicted least recently used,
/// tails before the prefixes they extend. A prefix whose only tails are held by running sequences is evicted last, its tails
/// detached (never matched again; evicted once only the cache holds them), so every block only the cache holds can be freed.
/// For a model with recurrent layers the cache also keeps snapshots of the recurrent state (PrefixCache.States.cs).
/// Used by the engine thread only.
/// </summary>
internal sealed partial class PrefixCache
{
    private sealed class Entry(ulong hash, ulong parent, int[] tokens, int block)
    {
        public ulong Hash { get; } = hash;
        public ulong Parent { get; } = parent;
        public int[] Tokens { get; } = tokens;
        public int Block { get; } = block;
        public long LastUsed { get; set; }

        /// <summary>Entries that extend it, and state snapshots taken at its end or inside the block after it.</summary>
        public int Children { get; set; }

        /// <summary>Set when its parent was evicted: no prompt can reach it any more.</summary>
        public bool Detached { get; set; }
    }

    /// <summary>The key of the empty prefix.</summary>
    public const ulong Root = 0x9E3779B97F4A7C15;

    private readonly KvBlockPool _pool;
    private readonly Dictionary<ulong, Entry> _entries = [];
    private readonly Entry[] _matched;
    private readonly List<(long LastUsed, Entry? Entry, StateSnapshot? State)> _candidates = [];
    private long _clock;

    /// <summary>
    /// A cache of the blocks of <paramref name="pool"/>, for sequences of up to <paramref name="maxBlocksPerSequence"/> blocks, with room
    /// for <paramref name="stateSnapshots"/> recurrent-state snapshots (a pool with recurrent state only).
    /// </summary>
    public PrefixCache(KvBlockPool pool, int maxBlocksPerSequence, int stateSnapshots = 0)
    {
        _pool = pool;
        _matched = new Entry[maxBlocksPerSequence];
        if (stateSnapshots > 0)
            _stateSlots = new RecurrentStatePool(pool.States?.FloatsPerSlot ?? throw new ArgumentException("state snapshots need a pool with recurrent state"), stateSnapshots);
    }

    /// <summary>Blocks the cache holds a reference to (state snapshots' partial blocks included).</summary>
    public int Count => _entries.Count + _tailBlocks;

    /// <summary>The key of a block of <paramref name="tokens"/> following the prefix keyed <paramref name="parent"/>.</summary>
    public static ulong Chain(ulong parent, ReadOnlySpan<int> tokens)
    {
        var h = parent;
        foreach (var t in tokens) h = (h ^ (uint)t) * 0x100000001B3UL; // FNV-1a over 32-bit words
        // splitmix64's finaliser spreads the bits, so neighbouring token runs do not cluster.
        h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9UL;
        h = (h ^ (h >> 27)) * 0x94D049BB133111EBUL;
        return h ^ (h >> 31);
    }

    /// <summary>
    /// Finds the longest run (at most <paramref name="maxBlocks"/>) of cached blocks at the start of <paramref name="tokens"/>,
    /// writes their pool blocks to <paramref name="blocks"/> (and, when given, the key after each to <paramref name="keys"/>) and
    /// returns how many; <paramref name="key"/> is the key of the last.
    /// </summary>
    public int Match(ReadOnlySpan<int> tokens, int maxBlocks, Span<int> blocks, out ulong key, Span<ulong> keys = default)
    {
        var size = _pool.BlockSize;
        key = Root;
        var n = 0;
        for (; n < maxBlocks; n++)
        {
            var run = tokens.Slice(n * size, size);
            var next = Chain(key, run);
            if (!_entries.TryGetValue(next, out var entry) || entry.Detached || entry.Parent != key || !run.SequenceEqual(entry.Tokens)) break;
            _matched[n] = entry;
            blocks[n] = entry.Block;
            if (!keys.IsEmpty) keys[n] = next;
            key = next;
        }
        // Deepest first, so that of one chain the tail counts as least recently used.
        for (var i = n - 1; i >= 0; i--) _matched[i].LastUsed = ++_clock;
        _matched.AsSpan(0, n).Clear();
        return n;
    }

    /// <summary>Offers <paramref name="block"/>, holding <paramref name="tokens"/> after the prefix keyed <paramref name="parent"/>; <paramref name="key"/> is its key.</summary>
    public PublishResult Publish(ulong parent, ReadOnlySpan<int> tokens, int block, out ulong key)
    {
        key = Chain(parent, tokens);
        if (_entries.TryGetValue(key, out var existing))
        {
            if (existing.Detached || existing.Parent != parent || !tokens.SequenceEqual(existing.Tokens)) return PublishResult.Rejected;
            existing.LastUsed = ++_clock;
            return PublishResult.Present;
        }
        Entry? parentEntry = null;
        if (parent != Root && (!_entries.TryGetValue(parent, out parentEntry) || parentEntry.Detached)) return PublishResult.Rejected;
        _pool.Retain(block);
        _entries[key] = new Entry(key, parent, tokens.ToArray(), block) { LastUsed = ++_clock };
        if (parentEntry != null) parentEntry.Children++;
        return PublishResult.Inserted;
    }

    /// <summary>
    /// Frees up to <paramref name="count"/> blocks that only the cache holds, least recently used tails (and state snapshots'
    /// partial blocks) first, then prefixes whose tails sequences hold; returns how many (fewer only when fewer blocks are held by
    /// the cache alone; more when a prefix's snapshots held blocks too).
    /// </summary>
    public int Evict(int count)
    {
        var evicted = 0;
        while (evicted < count)
        {
            _candidates.Clear();
            foreach (var entry in _entries.Values)
                if (entry.Children == 0 && _pool.RefCount(entry.Block) == 1) _candidates.Add((entry.LastUsed, entry, null));
            AddStateCandidates();
            if (_candidates.Count == 0)
                foreach (var entry in _entries.Values)
                    if (_pool.RefCount(entry.Block) == 1) _candidates.Add((entry.LastUsed, entry, null));
            if (_candidates.Count == 0) break;
            _candidates.Sort(static (a, b) => a.LastUsed.CompareTo(b.LastUsed));
            // Evicting a tail may turn its parent into a candidate; the next pass picks those up.
            for (var i = 0; i < _candidates.Count && evicted < count; i++)
            {
                var (_, entry, state) = _candidates[i];
                // an entry's snapshots go with it, so a later candidate may be gone already
                if (entry != null ? _entries.GetValueOrDefault(entry.Hash) == entry : IsHeld(state!)) evicted += entry != null ? Remove(entry) : Drop(state!);
            }
        }
        _candidates.Clear();
        return evicted;
    }

    /// <summary>Blocks only the cache holds (reusable at once).</summary>
    public int CacheOnlyCount()
    {
        var n = CacheOnlyTailBlocks();
        foreach (var entry in _entries.Values)
            if (_pool.RefCount(entry.Block) == 1) n++;
        return n;
    }

    /// <summary>Drops every entry and snapshot and their block references.</summary>
    public void Clear()
    {
        foreach (var entry in _entries.Values.ToList()) Remove(entry);
        DropStatesOf(Root);
    }

    // Removes an entry and the snapshots taken on it; returns the blocks that went back to the pool.
    private int Remove(Entry entry)
    {
        _entries.Remove(entry.Hash);
        if (!entry.Detached && _entries.TryGetValue(entry.Parent, out var parent)) parent.Children--;
        var freed = DropStatesOf(entry.Hash);
        if (entry.Children > 0)
            foreach (var child in _entries.Values)
                if (child.Parent == entry.Hash && !child.Detached) child.Detached = true;
        if (_pool.RefCount(entry.Block) == 1) freed++;
        _pool.Release(entry.Block);
        return freed;
    }
}
