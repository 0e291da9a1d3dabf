namespace Moxing.Text.Tokenization.Models;

/// <summary>
/// Hashes (left &lt;&lt; 32 | right) pair keys by multiplication: long.GetHashCode xors the halves, which
/// collides massively for small token ids and turns merge lookups into long chain walks.
/// </summary>
internal sealed class PairKeyComparer : IEqualityComparer<long>
{
    /// <summary>The shared instance.</summary>
    public static readonly PairKeyComparer Instance = new();

    /// <inheritdoc/>
    public bool Equals(long x, long y) => x == y;

    /// <inheritdoc/>
    public int GetHashCode(long key) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 32);
}
