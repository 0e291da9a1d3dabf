using Moxing.Models.Decoder;

namespace Moxing.Inference.Scheduling;

/// <summary>
/// The recurrent state of a sequence at one position p (conv and SSM/DeltaNet rows), kept by the <see cref="PrefixCache"/>:
/// anchored on the cache key of its <see cref="Blocks"/> full blocks, it holds the <see cref="Tail"/> tokens after them and the
/// partial block with their keys/values (-1 when p is a block boundary).
/// </summary>
internal sealed class StateSnapshot(ulong anchor, int blocks, int[] tail, int tailBlock, int slot)
{
    /// <summary>The key of the full blocks it follows (<see cref="PrefixCache.Root"/>: none).</summary>
    public ulong Anchor { get; } = anchor;

    /// <summary>Full blocks before it.</summary>
    public int Blocks { get; } = blocks;

    /// <summary>The tokens after the full blocks, fewer than a block.</summary>
    public int[] Tail { get; } = tail;

    /// <summary>The pool block holding the tail's keys/values (a reference of its own), -1 without a tail.</summary>
    public int TailBlock { get; } = tailBlock;

    /// <summary>Its slot in the cache's state store.</summary>
    public int Slot { get; } = slot;

    public long LastUsed { get; set; }

    /// <summary>Sequences that started from it.</summary>
    public int Hits { get; set; }
}

// Recurrent-state snapshots (models with recurrent layers): a prefix's KV blocks are of use only together with the state at the
// prefix's end, so a sequence restores the deepest snapshot its tokens reach and computes the rest. Snapshots are anchored on
// the entry of their last full block (counted among its children, so its chain outlives plainer tails) and dropped with it; they
// live in a fixed store of slots, and a snapshot's partial block is evicted with the cache's other blocks. A new snapshot takes
// the slot of one no prompt can reach, else of the least recently used among those never restored (segmented LRU: a burst of
// one-off prompts does not flush the state of a shared system prompt), unless those restored hold more than half of the slots.
internal sealed partial class PrefixCache
{
    private readonly RecurrentStatePool? _stateSlots;
    private readonly Dictionary<ulong, List<StateSnapshot>> _states = [];
    private int _stateCount;
    private int _tailBlocks;

    /// <summary>Whether the cache keeps recurrent-state snapshots.</summary>
    public bool KeepsStates => _stateSlots != null;

    /// <summary>State snapshots held.</summary>
    public int StateCount => _stateCount;

    /// <summary>
    /// The deepest snapshot at most <paramref name="maxPositions"/> into <paramref name="tokens"/>, whose first <paramref name="blocks"/>
    /// blocks <see cref="Match"/> found with their <paramref name="keys"/>; null when none.
    /// </summary>
    public StateSnapshot? FindState(ReadOnlySpan<int> tokens, int maxPositions, int blocks, ReadOnlySpan<ulong> keys)
    {
        var size = _pool.BlockSize;
        for (var i = blocks; i >= 0; i--)
        {
            if (!_states.TryGetValue(i == 0 ? Root : keys[i - 1], out var list)) continue;
            StateSnapshot? best = null;
            foreach (var state in list)
                if (state.Blocks == i && i * size + state.Tail.Length <= maxPositions && (best == null || state.Tail.Length > best.Tail.Length) &&
                    tokens.Slice(i * size, state.Tail.Length).SequenceEqual(state.Tail))
                    best = state;
            if (best == null) continue;
            best.LastUsed = ++_clock;
            best.Hits++;
            return best;
        }
        return null;
    }

    /// <summary>Starts the empty sequence <paramref name="kv"/> from <paramref name="state"/>: the full <paramref name="blocks"/> before it, its tail and its state.</summary>
    public void Restore(StateSnapshot state, ReadOnlySpan<int> blocks, SequenceKv kv) =>
        kv.AttachPrefix(blocks[..state.Blocks], state.TailBlock, state.Tail.Length, _stateSlots!.State(state.Slot));

    /// <summary>
    /// Keeps the state of <paramref name="kv"/> after its first <paramref name="blocks"/> full blocks (cached under
    /// <paramref name="anchor"/>) and the <paramref name="tail"/> tokens after them, counted as restored once when other prompts
    /// are known to share it (<paramref name="shared"/>); false when their blocks are no longer cached.
    /// </summary>
    public bool AddState(ulong anchor, int blocks, ReadOnlySpan<int> tail, SequenceKv kv, bool shared)
    {
        Entry? entry = null;
        if (_stateSlots == null || (anchor != Root && (!_entries.TryGetValue(anchor, out entry) || entry.Detached))) return false;
        if (_states.TryGetValue(anchor, out var list))
            foreach (var held in list)
                if (held.Blocks == blocks && tail.SequenceEqual(held.Tail))
                {
                    held.LastUsed = ++_clock;
                    return true;
                }
        int slot;
        while (!_stateSlots.TryTake(out slot)) Drop(LeastUseful());
        var tailBlock = tail.IsEmpty ? -1 : kv.Blocks[blocks];
        if (tailBlock >= 0)
        {
            _pool.Retain(tailBlock);
            _tailBlocks++;
        }
        kv.CopyStateTo(_stateSlots.State(slot));
        // (making room may have dropped the anchor's last snapshot, and its list)
        if (!_states.TryGetValue(anchor, out list)) _states[anchor] = list = [];
        list.Add(new StateSnapshot(anchor, blocks, tail.ToArray(), tailBlock, slot) { LastUsed = ++_clock, Hits = shared ? 1 : 0 });
        _stateCount++;
        if (entry != null) entry.Children++;
        return true;
    }

    // Snapshots whose partial block only the cache holds, as eviction candidates.
    private void AddStateCandidates()
    {
        foreach (var list in _states.Values)
            foreach (var state in list)
                if (state.TailBlock >= 0 && _pool.RefCount(state.TailBlock) == 1) _candidates.Add((state.LastUsed, null, state));
    }

    private int CacheOnlyTailBlocks()
    {
        var n = 0;
        foreach (var list in _states.Values)
            foreach (var state in list)
                if (state.TailBlock >= 0 && _pool.RefCount(state.TailBlock) == 1) n++;
        return n;
    }

    private bool IsHeld(StateSnapshot state) => _states.TryGetValue(state.Anchor, out var list) && list.Contains(state);

    // The snapshot to give up for a new one: one no prompt can reach any more, else the least recently used of those never
    // restored, or of those restored when they hold more than half of the slots (or all).
    private StateSnapshot LeastUseful()
    {
        StateSnapshot? restored = null, unused = null;
        var restoredCount = 0;
        foreach (var list in _states.Values)
            foreach (var state in list)
            {
                if (!Reachable(state.Anchor)) return state;
                if (state.Hits == 0)
                {
                    if (unused == null || state.LastUsed < unused.LastUsed) unused = state;
                    continue;
                }
                restoredCount++;
                if (restored == null || state.LastUsed < restored.LastUsed) restored = state;
            }
        return unused == null || restoredCount > _stateSlots!.SlotCount / 2 ? restored! : unused;
    }

    // Whether Match can still reach the entry keyed `key`: no entry on its way back to the root is gone or detached.
    private bool Reachable(ulong key)
    {
        while (key != Root)
        {
            if (!_entries.TryGetValue(key, out var entry) || entry.Detached) return false;
            key = entry.Parent;
        }
        return true;
    }

    // Drops one snapshot; returns the blocks that went back to the pool (its partial block, if only the cache held it).
    private int Drop(StateSnapshot state)
    {
        var list = _states[state.Anchor];
        list.Remove(state);
        if (list.Count == 0) _states.Remove(state.Anchor);
        if (state.Anchor != Root && _entries.TryGetValue(state.Anchor, out var entry)) entry.Children--;
        return Release(state);
    }

    // Drops the snapshots anchored on `anchor` (its entry is being removed); returns the blocks that went back to the pool.
    private int DropStatesOf(ulong anchor)
    {
        if (!_states.Remove(anchor, out var list)) return 0;
        var freed = 0;
        foreach (var state in list) freed += Release(state);
        return freed;
    }

    private int Release(StateSnapshot state)
    {
        _stateSlots!.Give(state.Slot);
        _stateCount--;
        if (state.TailBlock < 0) return 0;
        _tailBlocks--;
        var freed = _pool.RefCount(state.TailBlock) == 1 ? 1 : 0;
        _pool.Release(state.TailBlock);
        return freed;
    }
}
