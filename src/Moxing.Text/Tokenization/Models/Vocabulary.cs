namespace Moxing.Text.Tokenization.Models;

/// <summary>A token ↔ id map that can be searched with spans, so lookups allocate nothing.</summary>
internal sealed class Vocabulary
{
    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _spanIds;
    private readonly string?[] _tokens;

    /// <summary>Builds the reverse map; ids must be non-negative.</summary>
    public Vocabulary(Dictionary<string, int> ids)
    {
        _ids = ids;
        _spanIds = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        int max = -1;
        foreach (int id in ids.Values) max = Math.Max(max, id);
        _tokens = new string?[max + 1];
        foreach (var (token, id) in ids) _tokens[id] = token;
    }

    /// <summary>Number of distinct tokens.</summary>
    public int Count => _ids.Count;

    /// <summary>One more than the largest id.</summary>
    public int IdLimit => _tokens.Length;

    /// <summary>All tokens and ids.</summary>
    public IReadOnlyDictionary<string, int> Ids => _ids;

    /// <summary>Looks a token up by its chars.</summary>
    public bool TryGetId(ReadOnlySpan<char> token, out int id) => _spanIds.TryGetValue(token, out id);

    /// <summary>The token of an id, or null.</summary>
    public string? Token(int id) => (uint)id < (uint)_tokens.Length ? _tokens[id] : null;
}
