namespace Moxing.Text.Tokenization.Models;

/// <summary>
/// Applies BPE merges to a word's symbols: repeatedly merges the adjacent pair with the lowest rank
/// (leftmost on ties) using a priority queue, so a word of n symbols costs O(n log n)
/// (Hugging Face Word::merge_all).
/// </summary>
internal sealed class BpeMerger
{
    private int[] _ids = new int[64];
    private int[] _prev = new int[64];
    private int[] _next = new int[64];
    private bool[] _alive = new bool[64];
    private readonly PriorityQueue<(int Pos, int NewId), long> _queue = new();

    [ThreadStatic] private static BpeMerger? _current;

    /// <summary>A merger for the calling thread.</summary>
    public static BpeMerger ForThread => _current ??= new BpeMerger();

    /// <summary>Merges <paramref name="symbols"/> with <paramref name="merges"/> ((a &lt;&lt; 32 | b) → rank &lt;&lt; 32 | new id) and appends the result.</summary>
    public void Merge(List<int> symbols, Dictionary<long, long> merges, List<int> output)
    {
        int n = symbols.Count;
        if (n == 0) return;
        if (n == 1)
        {
            output.Add(symbols[0]);
            return;
        }
        Ensure(n);
        for (int i = 0; i < n; i++)
        {
            _ids[i] = symbols[i];
            _prev[i] = i - 1;
            _next[i] = i + 1 < n ? i + 1 : -1;
            _alive[i] = true;
        }
        _queue.Clear();
        for (int i = 0; i + 1 < n; i++) Push(i, _ids[i], _ids[i + 1], merges);

        while (_queue.TryDequeue(out var top, out _))
        {
            int pos = top.Pos;
            if (!_alive[pos]) continue;
            int right = _next[pos];
            if (right < 0) continue;
            // A queue entry is stale when the pair at pos no longer produces the same token.
            if (!merges.TryGetValue(Key(_ids[pos], _ids[right]), out long current) || (int)current != top.NewId) continue;

            _ids[pos] = top.NewId;
            _alive[right] = false;
            int after = _next[right];
            _next[pos] = after;
            if (after >= 0) _prev[after] = pos;
            if (_prev[pos] >= 0) Push(_prev[pos], _ids[_prev[pos]], _ids[pos], merges);
            if (after >= 0) Push(pos, _ids[pos], _ids[after], merges);
        }
        for (int i = 0; i >= 0; i = _next[i]) output.Add(_ids[i]);
    }

    /// <summary>The merge-map key of a pair.</summary>
    public static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    private void Push(int pos, int left, int right, Dictionary<long, long> merges)
    {
        if (merges.TryGetValue(Key(left, right), out long merge))
        {
            _queue.Enqueue((pos, (int)merge), (merge & ~0xFFFFFFFFL) | (uint)pos);
        }
    }

    private void Ensure(int n)
    {
        if (_ids.Length >= n) return;
        int size = Math.Max(n, _ids.Length * 2);
        _ids = new int[size];
        _prev = new int[size];
        _next = new int[size];
        _alive = new bool[size];
    }
}
