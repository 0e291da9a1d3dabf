using Moxing.Core;

namespace Moxing.Models.Decoder;

/// <summary>A KV block pool without enough free blocks for a step; the step changed nothing and may be retried after others release blocks.</summary>
public sealed class KvPoolExhaustedException(int needed, int free, int total)
    : MoxingException($"the KV cache is full: the step needs {needed} more blocks but {free} of {total} are free; finish or preempt sequences, or raise the KV memory budget")
{
    /// <summary>Blocks the step needed.</summary>
    public int Needed { get; } = needed;

    /// <summary>Blocks that were free.</summary>
    public int Free { get; } = free;
}
