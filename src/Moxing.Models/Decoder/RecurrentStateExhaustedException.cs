namespace Moxing.Models.Decoder;

/// <summary>Every recurrent state slot of a pool is held: more sequences write at once than the pool was made for; nothing changed.</summary>
public sealed class RecurrentStateExhaustedException(int slots)
    : KvPoolExhaustedException($"the recurrent state of all {slots} sequences the KV pool was made for is in use; finish a sequence first or make the pool for more sequences", 0, 0);
