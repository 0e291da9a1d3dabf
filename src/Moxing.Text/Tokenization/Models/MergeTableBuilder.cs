namespace Moxing.Text.Tokenization.Models;

/// <summary>
/// Builds a BPE merge table, (left &lt;&lt; 32 | right) → (rank &lt;&lt; 32 | merged id), from merges in rank
/// order, looking tokens up by span so that no merged string is ever allocated. A pair listed twice keeps
/// its later rank, as Hugging Face's map does.
/// </summary>
internal sealed class MergeTableBuilder(Vocabulary vocabulary, string? continuingSubwordPrefix, int capacity)
{
    private readonly Dictionary<long, long> _map = new(capacity, PairKeyComparer.Instance);
    private readonly int _prefixLength = continuingSubwordPrefix?.Length ?? 0;
    private char[] _buffer = new char[256];
    private int _rank;

    /// <summary>Adds the next merge; returns what is wrong with it, or null.</summary>
    public string? TryAdd(ReadOnlySpan<char> left, ReadOnlySpan<char> right)
    {
        int rank = _rank++;
        if (!vocabulary.TryGetId(left, out int leftId)) return $"token '{left}' is not in the vocabulary";
        if (!vocabulary.TryGetId(right, out int rightId)) return $"token '{right}' is not in the vocabulary";
        if (right.Length < _prefixLength) return $"token '{right}' is shorter than the continuing_subword_prefix";
        int length = left.Length + right.Length - _prefixLength;
        if (_buffer.Length < length) _buffer = new char[Math.Max(length, _buffer.Length * 2)];
        left.CopyTo(_buffer);
        right[_prefixLength..].CopyTo(_buffer.AsSpan(left.Length));
        if (!vocabulary.TryGetId(_buffer.AsSpan(0, length), out int mergedId))
        {
            return $"merged token '{_buffer.AsSpan(0, length)}' is not in the vocabulary";
        }
        _map[BpeMerger.Key(leftId, rightId)] = ((long)rank << 32) | (uint)mergedId;
        return null;
    }

    /// <summary>The finished table.</summary>
    public Dictionary<long, long> Build() => _map;
}
