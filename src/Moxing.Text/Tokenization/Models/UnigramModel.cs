using System.Buffers;
using System.Text;

namespace Moxing.Text.Tokenization.Models;

/// <summary>
/// SentencePiece Unigram: the Viterbi path of highest total piece score, unknown characters fused into one
/// unk (or byte tokens with byte_fallback) (Hugging Face models::unigram::Unigram::encode_optimized).
/// </summary>
internal sealed class UnigramModel : ITokenModel
{
    private const double UnkPenalty = 10.0;

    private readonly double[] _scores;
    private readonly int _unkId;
    private readonly int[]? _byteTokens;
    private readonly int _maxPieceLength;
    private readonly double _minScore;

    /// <summary>Creates the model from pieces in id order; <paramref name="unkId"/> is -1 when there is none.</summary>
    public UnigramModel(Vocabulary vocabulary, double[] scores, int unkId, bool byteFallback)
    {
        Vocabulary = vocabulary;
        _scores = scores;
        _unkId = unkId;
        _minScore = scores.Length == 0 ? 0 : scores.Min();
        foreach (string token in vocabulary.Ids.Keys) _maxPieceLength = Math.Max(_maxPieceLength, token.Length);
        if (byteFallback) _byteTokens = BpeModel.ByteTokens(vocabulary);
    }

    /// <inheritdoc/>
    public Vocabulary Vocabulary { get; }

    /// <inheritdoc/>
    public void Tokenize(ReadOnlySpan<char> piece, List<int> ids)
    {
        if (piece.IsEmpty) return;
        int n = piece.Length;
        double[] best = ArrayPool<double>.Shared.Rent(n + 1);
        int[] startsAt = ArrayPool<int>.Shared.Rent(n + 1);
        int[] tokenAt = ArrayPool<int>.Shared.Rent(n + 1);
        try
        {
            Viterbi(piece, best, startsAt, tokenAt);
            EmitPath(piece, startsAt, tokenAt, ids);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(best);
            ArrayPool<int>.Shared.Return(startsAt);
            ArrayPool<int>.Shared.Return(tokenAt);
        }
    }

    private void Viterbi(ReadOnlySpan<char> piece, double[] best, int[] startsAt, int[] tokenAt)
    {
        int n = piece.Length;
        Array.Fill(startsAt, -1, 0, n + 1);
        best[0] = 0;
        double unkScore = _minScore - UnkPenalty;
        for (int start = 0; start < n;)
        {
            int charLength = char.IsHighSurrogate(piece[start]) && start + 1 < n && char.IsLowSurrogate(piece[start + 1]) ? 2 : 1;
            bool hasSingle = false;
            int limit = Math.Min(n - start, _maxPieceLength);
            for (int length = 1; length <= limit; length++)
            {
                if (!Vocabulary.TryGetId(piece.Slice(start, length), out int id)) continue;
                Relax(start, start + length, best[start] + _scores[id], id, best, startsAt, tokenAt);
                if (length == charLength) hasSingle = true;
            }
            if (!hasSingle)
            {
                if (_unkId < 0) throw new TokenizerException("Unigram model has no unk_id but the input has a character outside its vocabulary");
                Relax(start, start + charLength, best[start] + unkScore, _unkId, best, startsAt, tokenAt);
            }
            start += charLength;
        }
    }

    private static void Relax(int start, int end, double score, int id, double[] best, int[] startsAt, int[] tokenAt)
    {
        if (startsAt[end] >= 0 && score <= best[end]) return;
        best[end] = score;
        startsAt[end] = start;
        tokenAt[end] = id;
    }

    private void EmitPath(ReadOnlySpan<char> piece, int[] startsAt, int[] tokenAt, List<int> ids)
    {
        var path = new List<(int Start, int End, int Id)>();
        for (int end = piece.Length; end > 0; end = startsAt[end]) path.Add((startsAt[end], end, tokenAt[end]));
        path.Reverse();
        for (int i = 0; i < path.Count; i++)
        {
            var (start, end, id) = path[i];
            if (id != _unkId)
            {
                ids.Add(id);
                continue;
            }
            // Consecutive unknown pieces fuse into one string, which may itself be a token.
            while (i + 1 < path.Count && path[i + 1].Id == _unkId) end = path[++i].End;
            ReadOnlySpan<char> fused = piece[start..end];
            if (Vocabulary.TryGetId(fused, out int fusedId)) ids.Add(fusedId);
            else if (!TryAddBytes(fused, ids)) ids.Add(_unkId);
        }
    }

    private bool TryAddBytes(ReadOnlySpan<char> text, List<int> ids)
    {
        if (_byteTokens is null) return false;
        byte[] bytes = Encoding.UTF8.GetBytes(text.ToArray());
        foreach (byte b in bytes)
        {
            if (_byteTokens[b] < 0) return false;
        }
        foreach (byte b in bytes) ids.Add(_byteTokens[b]);
        return true;
    }
}
