using System.Text;

namespace Moxing.Text.Tokenization.Models;

/// <summary>
/// llama.cpp's SentencePiece tokenizer for GGUF "llama" vocabularies: starting from characters, repeatedly
/// merges the adjacent pair whose concatenation is the highest-scoring token (leftmost on ties); characters
/// that are not tokens become &lt;0xXX&gt; byte tokens (llm_tokenizer_spm_session).
/// </summary>
internal sealed class ScoreMergeModel : ITokenModel
{
    private readonly float[] _scores;
    private readonly int[] _byteTokens;
    private readonly int _unkId;

    /// <summary>Creates the model; <paramref name="scores"/> is indexed by token id.</summary>
    public ScoreMergeModel(Vocabulary vocabulary, float[] scores, int unkId)
    {
        Vocabulary = vocabulary;
        _scores = scores;
        _unkId = unkId;
        _byteTokens = BpeModel.ByteTokens(vocabulary);
    }

    /// <inheritdoc/>
    public Vocabulary Vocabulary { get; }

    /// <inheritdoc/>
    public void Tokenize(ReadOnlySpan<char> piece, List<int> ids)
    {
        if (piece.IsEmpty) return;
        var symbols = new List<Symbol>();
        for (int i = 0; i < piece.Length;)
        {
            int length = char.IsHighSurrogate(piece[i]) && i + 1 < piece.Length && char.IsLowSurrogate(piece[i + 1]) ? 2 : 1;
            symbols.Add(new Symbol(i, length, symbols.Count - 1, i + length < piece.Length ? symbols.Count + 1 : -1));
            i += length;
        }
        var queue = new PriorityQueue<(int Left, int Right, int Size), (float Score, int Left)>(BigramOrder.Instance);
        for (int i = 1; i < symbols.Count; i++) TryAddBigram(piece, symbols, i - 1, i, queue);

        while (queue.TryDequeue(out var bigram, out _))
        {
            Symbol left = symbols[bigram.Left], right = symbols[bigram.Right];
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != bigram.Size) continue;
            symbols[bigram.Left] = left with { Length = left.Length + right.Length, Next = right.Next };
            symbols[bigram.Right] = right with { Length = 0 };
            if (right.Next >= 0) symbols[right.Next] = symbols[right.Next] with { Prev = bigram.Left };
            TryAddBigram(piece, symbols, symbols[bigram.Left].Prev, bigram.Left, queue);
            TryAddBigram(piece, symbols, bigram.Left, symbols[bigram.Left].Next, queue);
        }
        for (int i = 0; i >= 0; i = symbols[i].Next) Emit(piece.Slice(symbols[i].Start, symbols[i].Length), ids);
    }

    private void TryAddBigram(ReadOnlySpan<char> piece, List<Symbol> symbols, int left, int right,
        PriorityQueue<(int, int, int), (float, int)> queue)
    {
        if (left < 0 || right < 0) return;
        int size = symbols[left].Length + symbols[right].Length;
        if (!Vocabulary.TryGetId(piece.Slice(symbols[left].Start, size), out int id) || id >= _scores.Length) return;
        queue.Enqueue((left, right, size), (_scores[id], left));
    }

    // Merged symbols are always tokens; a single character that is not one becomes its UTF-8 byte tokens.
    private void Emit(ReadOnlySpan<char> text, List<int> ids)
    {
        if (Vocabulary.TryGetId(text, out int id))
        {
            ids.Add(id);
            return;
        }
        Span<byte> bytes = stackalloc byte[8];
        int n = Encoding.UTF8.GetBytes(text, bytes);
        for (int b = 0; b < n; b++) ids.Add(_byteTokens[bytes[b]] >= 0 ? _byteTokens[bytes[b]] : _unkId);
    }

    private readonly record struct Symbol(int Start, int Length, int Prev, int Next);

    private sealed class BigramOrder : IComparer<(float Score, int Left)>
    {
        public static readonly BigramOrder Instance = new();

        // Highest score first, then leftmost.
        public int Compare((float Score, int Left) x, (float Score, int Left) y) =>
            x.Score != y.Score ? y.Score.CompareTo(x.Score) : x.Left.CompareTo(y.Left);
    }
}
