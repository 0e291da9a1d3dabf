using Moxing.Core;

namespace Moxing.Models.Decoder;

/// <summary>A KV block pool without enough free blocks for a step; the step changed nothing and may be retried after others release blocks.</summary>
public class KvPoolExhaustedException : MoxingException
{
    /// <summary>The pool had <paramref name="free"/> of <paramref name="total"/> blocks free where <paramref name="needed"/> more were needed.</summary>
    public KvPoolExhaustedException(int needed, int free, int total)
        : this($"the KV cache is full: the step needs {needed} more blocks but {free} of {total} are free; finish or preempt sequences, or raise the KV memory budget", needed, free)
    {
    }

    /// <summary>An exhausted pool described by <paramref name="message"/>.</summary>
    protected KvPoolExhaustedException(string message, int needed, int free) : base(message)
    {
        Needed = needed;
        Free = free;
    }

    /// <summary>Blocks the step needed.</summary>
    public int Needed { get; }

    /// <summary>Blocks that were free.</summary>
    public int Free { get; }
}
