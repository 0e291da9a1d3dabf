namespace Moxing.Inference.Generation;

/// <summary>
/// Streams text while watching for stop strings: text that might be the start of a stop string is held back until
/// it is known not to be, and nothing from a stop string on is ever released.
/// </summary>
public sealed class StopStringFilter(IReadOnlyList<string> stops)
{
    private readonly System.Text.StringBuilder _pending = new();

    /// <summary>True once a stop string has been seen.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds <paramref name="text"/>; returns what can be released now (possibly empty).</summary>
    public string Push(string text)
    {
        if (Stopped) return "";
        _pending.Append(text);
        var pending = _pending.ToString();
        var cut = -1;
        foreach (var stop in stops)
        {
            if (stop.Length == 0) continue;
            var at = pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0)
        {
            Stopped = true;
            _pending.Clear();
            return pending[..cut];
        }
        var hold = HeldBack(pending);
        _pending.Remove(0, pending.Length - hold);
        return pending[..^hold];
    }

    /// <summary>Releases whatever is still held back (at the end of generation).</summary>
    public string Flush()
    {
        var rest = Stopped ? "" : _pending.ToString();
        _pending.Clear();
        return rest;
    }

    // Length of the longest suffix of the text that is a proper prefix of some stop string.
    private int HeldBack(string text)
    {
        var longest = 0;
        foreach (var stop in stops)
            for (var n = Math.Min(stop.Length - 1, text.Length); n > longest; n--)
                if (string.CompareOrdinal(text, text.Length - n, stop, 0, n) == 0)
                {
                    longest = n;
                    break;
                }
        return longest;
    }
}
