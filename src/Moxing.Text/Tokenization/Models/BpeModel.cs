using System.Collections.Concurrent;
using System.Text;

namespace Moxing.Text.Tokenization.Models;

/// <summary>Byte-pair encoding (Hugging Face models::bpe::BPE) with a per-word cache.</summary>
internal sealed class BpeModel : ITokenModel
{
    private const int CacheCapacity = 10_000;
    private const int MaxCachedLength = 256;

    private readonly Dictionary<long, long> _merges;
    private readonly ConcurrentDictionary<string, int[]> _cache = new();
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;
    private readonly int[]? _byteTokens;
    private int _cacheSize;

    /// <summary>Creates the model; <paramref name="merges"/> maps (left &lt;&lt; 32 | right) to (rank &lt;&lt; 32 | merged id).</summary>
    public BpeModel(Vocabulary vocabulary, Dictionary<long, long> merges, BpeOptions options)
    {
        Vocabulary = vocabulary;
        _merges = merges;
        Options = options;
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        if (options.ByteFallback) _byteTokens = ByteTokens(vocabulary);
    }

    /// <inheritdoc/>
    public Vocabulary Vocabulary { get; }

    /// <summary>The model's switches.</summary>
    public BpeOptions Options { get; }

    /// <summary>The ids of the byte-fallback tokens &lt;0x00&gt;..&lt;0xFF&gt; (-1 where missing).</summary>
    public static int[] ByteTokens(Vocabulary vocabulary)
    {
        var ids = new int[256];
        Span<char> name = stackalloc char[6];
        for (int b = 0; b < 256; b++)
        {
            $"<0x{b:X2}>".AsSpan().CopyTo(name);
            ids[b] = vocabulary.TryGetId(name, out int id) ? id : -1;
        }
        return ids;
    }

    /// <inheritdoc/>
    public void Tokenize(ReadOnlySpan<char> piece, List<int> ids)
    {
        if (piece.IsEmpty) return;
        if ((Options.IgnoreMerges || Options.WholeNewlineRuns && !piece.ContainsAnyExcept('\n')) && Vocabulary.TryGetId(piece, out int whole))
        {
            ids.Add(whole);
            return;
        }
        if (_cacheLookup.TryGetValue(piece, out int[]? cached))
        {
            ids.AddRange(cached);
            return;
        }
        int first = ids.Count;
        var symbols = new List<int>(piece.Length);
        InitialSymbols(piece, symbols);
        BpeMerger.ForThread.Merge(symbols, _merges, ids);
        if (piece.Length < MaxCachedLength && Volatile.Read(ref _cacheSize) < CacheCapacity
            && _cache.TryAdd(piece.ToString(), ids.GetRange(first, ids.Count - first).ToArray()))
        {
            Interlocked.Increment(ref _cacheSize);
        }
    }

    // One symbol per character (with prefix/suffix), byte fallback or unk for characters not in the vocabulary.
    private void InitialSymbols(ReadOnlySpan<char> word, List<int> symbols)
    {
        string prefix = Options.ContinuingSubwordPrefix ?? "";
        string suffix = Options.EndOfWordSuffix ?? "";
        Span<char> buffer = stackalloc char[prefix.Length + suffix.Length + 2];
        int unkId = -1;
        bool hasPendingUnk = false;
        for (int i = 0; i < word.Length;)
        {
            int charLength = char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            int length = 0;
            if (i > 0)
            {
                prefix.AsSpan().CopyTo(buffer);
                length = prefix.Length;
            }
            word.Slice(i, charLength).CopyTo(buffer[length..]);
            length += charLength;
            i += charLength;
            if (i == word.Length)
            {
                suffix.AsSpan().CopyTo(buffer[length..]);
                length += suffix.Length;
            }
            ReadOnlySpan<char> symbol = buffer[..length];

            if (Vocabulary.TryGetId(symbol, out int id))
            {
                if (hasPendingUnk) symbols.Add(unkId);
                hasPendingUnk = false;
                symbols.Add(id);
                continue;
            }
            if (_byteTokens is not null && TryAddBytes(symbol, symbols)) continue;
            if (Options.UnkToken is null) continue;
            if (hasPendingUnk && Options.FuseUnk) continue;
            if (hasPendingUnk) symbols.Add(unkId);
            if (!Vocabulary.TryGetId(Options.UnkToken, out unkId))
            {
                throw new TokenizerException($"BPE unk_token '{Options.UnkToken}' is not in the vocabulary");
            }
            hasPendingUnk = true;
        }
        if (hasPendingUnk) symbols.Add(unkId);
    }

    private bool TryAddBytes(ReadOnlySpan<char> symbol, List<int> symbols)
    {
        Span<byte> bytes = stackalloc byte[Encoding.UTF8.GetMaxByteCount(symbol.Length)];
        int n = Encoding.UTF8.GetBytes(symbol, bytes);
        for (int b = 0; b < n; b++)
        {
            if (_byteTokens![bytes[b]] < 0) return false;
        }
        for (int b = 0; b < n; b++) symbols.Add(_byteTokens![bytes[b]]);
        return true;
    }
}
