using Moxing.Inference.Constraints.Grammar;
using Moxing.Text.Tokenization;

namespace Moxing.Inference.Constraints;

/// <summary>
/// A constraint that allows exactly the tokens whose bytes keep the output a prefix of a sentence of a byte grammar,
/// and the end tokens only once the output is a whole sentence. Masks are computed by walking the token trie through
/// the grammar's lazy DFA and are cached per DFA state, so a state seen before costs one pass over a bitmap.
/// </summary>
public class GrammarConstraint : ITokenConstraint
{
    // Cached masks are ~19 KB each for a 150k vocabulary; beyond this many the cache starts over.
    private const int MaxCachedMasks = 512;

    private readonly GrammarAutomaton _automaton;
    private readonly TokenVocabulary _vocabulary;
    private readonly int[] _endTokenIds;
    // Below this many allowed tokens a mask also keeps the ids, so applying it is one fill plus a few writes.
    private const int SparseLimit = 4096;

    private readonly Dictionary<int, TokenMask> _masks = [];
    private readonly int[] _depthStates;
    private int _state;
    private bool _ended;

    internal GrammarConstraint(ByteGrammar grammar, Tokenizer tokenizer, IReadOnlyCollection<int>? endTokenIds)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _automaton = new GrammarAutomaton(grammar);
        _vocabulary = TokenVocabulary.For(tokenizer);
        _endTokenIds = endTokenIds is { Count: > 0 } ? [.. endTokenIds] : tokenizer.EosTokenId is { } eos ? [eos] : [];
        _depthStates = new int[_vocabulary.MaxDepth + 1];
        _state = _automaton.Start;
    }

    /// <inheritdoc/>
    public bool IsComplete => _ended || (_automaton.IsAccepting(_state) && !_automaton.CanContinue(_state));

    /// <summary>True when the output so far is a whole sentence (an end token is allowed now), though more may follow.</summary>
    public bool CanEnd => _ended || _automaton.IsAccepting(_state);

    /// <summary>The ids treated as end of sequence.</summary>
    public IReadOnlyList<int> EndTokenIds => _endTokenIds;

    /// <inheritdoc/>
    public void Mask(Span<float> logits)
    {
        if (_ended)
        {
            KeepOnlyEnds(logits);
            return;
        }
        var canEnd = _automaton.IsAccepting(_state);
        Span<float> ends = stackalloc float[_endTokenIds.Length];
        for (var i = 0; i < ends.Length; i++) ends[i] = (uint)_endTokenIds[i] < (uint)logits.Length ? logits[_endTokenIds[i]] : 0f;
        var mask = AllowedTokens(_state);
        if (mask.Sparse is { } few)
        {
            // Few tokens allowed: keep their logits, clear everything at once.
            Span<float> kept = few.Length <= 1024 ? stackalloc float[few.Length] : new float[few.Length];
            for (var i = 0; i < few.Length; i++) kept[i] = few[i] < logits.Length ? logits[few[i]] : 0f;
            logits.Fill(float.NegativeInfinity);
            for (var i = 0; i < few.Length; i++)
                if (few[i] < logits.Length) logits[few[i]] = kept[i];
        }
        else ApplyBitmap(mask.Bits, logits);
        // The bitmap never holds end tokens; they come back exactly when the output is complete.
        for (var i = 0; i < ends.Length; i++)
            if ((uint)_endTokenIds[i] < (uint)logits.Length) logits[_endTokenIds[i]] = canEnd ? ends[i] : float.NegativeInfinity;
    }

    private static void ApplyBitmap(ulong[] allowed, Span<float> logits)
    {
        var words = Math.Min(allowed.Length, (logits.Length + 63) >> 6);
        for (var w = 0; w < words; w++)
        {
            var bits = allowed[w];
            if (bits == ulong.MaxValue) continue;
            var baseId = w << 6;
            var count = Math.Min(64, logits.Length - baseId);
            // Visit only the cleared bits.
            var banned = ~bits & (count == 64 ? ulong.MaxValue : (1UL << count) - 1);
            while (banned != 0)
            {
                logits[baseId + System.Numerics.BitOperations.TrailingZeroCount(banned)] = float.NegativeInfinity;
                banned &= banned - 1;
            }
        }
        var covered = words << 6;
        if (covered < logits.Length) logits[covered..].Fill(float.NegativeInfinity);
    }

    /// <inheritdoc/>
    public void Accept(int tokenId)
    {
        if (Array.IndexOf(_endTokenIds, tokenId) >= 0)
        {
            if (!CanEnd) throw new InvalidOperationException($"end token {tokenId} was chosen before the constrained output is complete");
            _ended = true;
            return;
        }
        if (_ended) throw new InvalidOperationException($"token {tokenId} was chosen after the constrained output ended");
        var bytes = (uint)tokenId < (uint)_vocabulary.Size ? _vocabulary.TokenBytes[tokenId] : null;
        var next = bytes is null ? GrammarAutomaton.Dead : _automaton.Walk(_state, bytes);
        if (next == GrammarAutomaton.Dead) throw new InvalidOperationException($"token {tokenId} is not allowed by the constraint here");
        _state = next;
    }

    /// <summary>Whether <paramref name="tokenId"/> may come next (what <see cref="Mask"/> leaves finite).</summary>
    public bool IsAllowed(int tokenId)
    {
        if (Array.IndexOf(_endTokenIds, tokenId) >= 0) return CanEnd;
        if (_ended || (uint)tokenId >= (uint)_vocabulary.Size) return false;
        return (AllowedTokens(_state).Bits[tokenId >> 6] >> (tokenId & 63) & 1) != 0;
    }

    private void KeepOnlyEnds(Span<float> logits)
    {
        Span<float> kept = stackalloc float[_endTokenIds.Length];
        for (var i = 0; i < _endTokenIds.Length; i++)
            kept[i] = (uint)_endTokenIds[i] < (uint)logits.Length ? logits[_endTokenIds[i]] : 0f;
        logits.Fill(float.NegativeInfinity);
        for (var i = 0; i < _endTokenIds.Length; i++)
            if ((uint)_endTokenIds[i] < (uint)logits.Length) logits[_endTokenIds[i]] = kept[i];
    }

    // The tokens (not end tokens) allowed in a DFA state, as a bitmap over ids.
    private sealed record TokenMask(ulong[] Bits, int[]? Sparse);

    private TokenMask AllowedTokens(int state)
    {
        if (_masks.TryGetValue(state, out var cached)) return cached;
        if (_masks.Count >= MaxCachedMasks) _masks.Clear();
        var v = _vocabulary;
        var mask = new ulong[(v.Size + 63) >> 6];
        var label = v.Label;
        var depth = v.Depth;
        var subtreeEnd = v.SubtreeEnd;
        var tokensStart = v.TokensStart;
        var ending = v.EndingTokens;
        var states = _depthStates;
        states[0] = state;
        var n = 0;
        while (n < label.Length)
        {
            var d = depth[n];
            var next = _automaton.Next(states[d - 1], label[n]);
            if (next == GrammarAutomaton.Dead)
            {
                n = subtreeEnd[n];
                continue;
            }
            states[d] = next;
            for (var t = tokensStart[n]; t < tokensStart[n + 1]; t++)
            {
                var id = ending[t];
                mask[id >> 6] |= 1UL << (id & 63);
            }
            n++;
        }
        foreach (var end in _endTokenIds)
            if ((uint)end < (uint)v.Size) mask[end >> 6] &= ~(1UL << (end & 63));
        var count = 0;
        foreach (var w in mask) count += System.Numerics.BitOperations.PopCount(w);
        int[]? sparse = null;
        if (count <= SparseLimit)
        {
            sparse = new int[count];
            var k = 0;
            for (var w = 0; w < mask.Length; w++)
                for (var bits = mask[w]; bits != 0; bits &= bits - 1) sparse[k++] = (w << 6) + System.Numerics.BitOperations.TrailingZeroCount(bits);
        }
        var result = new TokenMask(mask, sparse);
        _masks[state] = result;
        return result;
    }
}
