using Moxing.Core;

namespace Moxing.Models.Decoder;

/// <summary>
/// Fixed-size recurrent state (LFM2's convolution inputs, Mamba2's convolution inputs and SSM state) for a bounded number of sequences: one slot of
/// <see cref="FloatsPerSlot"/> floats per sequence, taken zeroed when the sequence first writes and given back when it ends.
/// Thread-safe for taking and giving back; a slot's floats belong to the sequence holding it.
/// </summary>
public sealed class RecurrentStatePool
{
    private readonly float[] _states;
    private readonly int[] _free;
    private readonly bool[] _held;
    private readonly object _gate = new();
    private int _freeCount;

    /// <summary>Floats of one sequence's state.</summary>
    public int FloatsPerSlot { get; }

    /// <summary>Sequences whose state the pool can hold at once.</summary>
    public int SlotCount { get; }

    /// <summary>Bytes of one sequence's state.</summary>
    public long BytesPerSlot => FloatsPerSlot * (long)sizeof(float);

    /// <summary>Bytes held by the pool.</summary>
    public long Bytes => BytesPerSlot * SlotCount;

    /// <summary>Slots held by sequences.</summary>
    public int HeldSlotCount
    {
        get { lock (_gate) return SlotCount - _freeCount; }
    }

    /// <summary>Allocates <paramref name="slots"/> slots of <paramref name="floatsPerSlot"/> floats.</summary>
    public RecurrentStatePool(int floatsPerSlot, int slots)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(floatsPerSlot, 1);
        if (slots < 1) throw new MoxingException($"a recurrent state pool needs room for at least one sequence, got {slots}");
        if ((long)floatsPerSlot * slots > Array.MaxLength)
            throw new MoxingException($"recurrent state for {slots} sequences of {floatsPerSlot} floats does not fit in one array; run fewer sequences");
        FloatsPerSlot = floatsPerSlot;
        SlotCount = slots;
        _states = new float[floatsPerSlot * slots];
        _free = new int[slots];
        _held = new bool[slots];
        for (var i = 0; i < slots; i++) _free[i] = slots - 1 - i;
        _freeCount = slots;
    }

    /// <summary>Takes a free slot, zeroed (the state of an empty sequence); false when every slot is held.</summary>
    public bool TryTake(out int slot)
    {
        lock (_gate)
        {
            if (_freeCount == 0)
            {
                slot = -1;
                return false;
            }
            slot = _free[--_freeCount];
            _held[slot] = true;
        }
        State(slot).Clear();
        return true;
    }

    /// <summary>Gives <paramref name="slot"/> back.</summary>
    public void Give(int slot)
    {
        lock (_gate)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)slot, (uint)SlotCount, nameof(slot));
            if (!_held[slot]) throw new InvalidOperationException($"recurrent state slot {slot} is not held");
            _held[slot] = false;
            _free[_freeCount++] = slot;
        }
    }

    /// <summary>The floats of <paramref name="slot"/>.</summary>
    public Span<float> State(int slot) => _states.AsSpan(slot * FloatsPerSlot, FloatsPerSlot);
}
