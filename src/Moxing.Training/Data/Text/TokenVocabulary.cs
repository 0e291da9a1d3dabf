using System.Text.Json;
using System.Text.RegularExpressions;
using Moxing.Core;

namespace Moxing.Training.Data.Text;

/// <summary>
/// A vocabulary built from training text: every character, or lower-cased words, numbers and punctuation marks.
/// Id 0 pads, id 1 stands for anything unseen; the rest are ordered by frequency (ties by ordinal text).
/// </summary>
public sealed partial class TokenVocabulary : ITextEncoder
{
    /// <summary>The padding token.</summary>
    public const string Pad = "<pad>";

    /// <summary>The token of unseen characters or words.</summary>
    public const string Unknown = "<unk>";

    /// <summary>What a word-level vocabulary counts as one token: a letter run (with marks and apostrophes), a digit run or one other mark.</summary>
    public const string WordRegex = @"\p{L}[\p{L}\p{M}']*|\p{N}+|[^\s\p{L}\p{N}]";

    private readonly Dictionary<string, int> _ids;

    /// <summary>Creates a vocabulary from its tokens; the first two must be <see cref="Pad"/> and <see cref="Unknown"/>.</summary>
    public TokenVocabulary(TokenLevel level, IReadOnlyList<string> tokens)
    {
        if (tokens.Count < 2 || tokens[0] != Pad || tokens[1] != Unknown)
            throw new ArgumentException($"a vocabulary starts with {Pad} and {Unknown}");
        Level = level;
        Tokens = tokens;
        _ids = new Dictionary<string, int>(tokens.Count, StringComparer.Ordinal);
        for (var i = 0; i < tokens.Count; i++)
            if (!_ids.TryAdd(tokens[i], i)) throw new ArgumentException($"token '{tokens[i]}' appears twice");
    }

    /// <summary>Characters or words.</summary>
    public TokenLevel Level { get; }

    /// <summary>Every token, index = id.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <inheritdoc />
    public int VocabularySize => Tokens.Count;

    /// <inheritdoc />
    public int PadId => 0;

    /// <summary>The id of unseen tokens.</summary>
    public int UnknownId => 1;

    /// <summary>
    /// Counts the tokens of <paramref name="texts"/> and keeps the <paramref name="maxSize"/> most frequent
    /// (pad and unknown included) that occur at least <paramref name="minCount"/> times.
    /// </summary>
    public static TokenVocabulary Build(IEnumerable<string> texts, TokenLevel level, int maxSize = int.MaxValue, int minCount = 1)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in texts)
            foreach (var token in Split(text, level))
                counts[token] = counts.GetValueOrDefault(token) + 1;
        var kept = counts.Where(p => p.Value >= minCount)
            .OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal)
            .Take(Math.Max(0, maxSize - 2)).Select(p => p.Key);
        return new TokenVocabulary(level, [Pad, Unknown, .. kept]);
    }

    /// <inheritdoc />
    public int[] Encode(string text)
    {
        var ids = new List<int>(text.Length);
        foreach (var token in Split(text, Level)) ids.Add(_ids.GetValueOrDefault(token, UnknownId));
        return ids.ToArray();
    }

    /// <inheritdoc />
    public string Decode(ReadOnlySpan<int> ids)
    {
        var parts = new List<string>(ids.Length);
        foreach (var id in ids)
            if (id != PadId) parts.Add(TokenText(id));
        return string.Join(Level == TokenLevel.Words ? " " : "", parts);
    }

    /// <inheritdoc />
    public string TokenText(int id) => (uint)id < (uint)Tokens.Count ? Tokens[id] : Unknown;

    /// <summary>Writes the vocabulary as JSON ({"level", "tokens"}).</summary>
    public void Save(string path) =>
        File.WriteAllText(path, JsonSerializer.Serialize(new Stored(Level == TokenLevel.Words ? "words" : "characters", Tokens.ToArray())));

    /// <summary>Reads a vocabulary written by <see cref="Save"/>.</summary>
    public static TokenVocabulary Load(string path)
    {
        Stored? stored;
        try { stored = JsonSerializer.Deserialize<Stored>(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidModelFileException(path, "not a vocabulary JSON file: " + e.Message, e); }
        if (stored?.tokens == null || stored.level is not ("words" or "characters"))
            throw new InvalidModelFileException(path, "expected {\"level\": \"characters\"|\"words\", \"tokens\": [...]}");
        try { return new TokenVocabulary(stored.level == "words" ? TokenLevel.Words : TokenLevel.Characters, stored.tokens); }
        catch (ArgumentException e) { throw new InvalidModelFileException(path, e.Message, e); }
    }

    private static IEnumerable<string> Split(string text, TokenLevel level)
    {
        if (level == TokenLevel.Characters)
        {
            // Text elements keep surrogate pairs together.
            var e = System.Globalization.StringInfo.GetTextElementEnumerator(text);
            while (e.MoveNext()) yield return (string)e.Current;
            yield break;
        }
        foreach (Match m in WordPattern().Matches(text)) yield return m.Value.ToLowerInvariant();
    }

    [GeneratedRegex(WordRegex)]
    private static partial Regex WordPattern();

    private sealed record Stored(string level, string[] tokens);
}

/// <summary>What a <see cref="TokenVocabulary"/> counts as a token.</summary>
public enum TokenLevel
{
    /// <summary>Single characters (text elements).</summary>
    Characters,

    /// <summary>Lower-cased words, numbers and single punctuation marks.</summary>
    Words,
}
