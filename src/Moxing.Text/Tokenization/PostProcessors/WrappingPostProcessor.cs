namespace Moxing.Text.Tokenization.PostProcessors;

/// <summary>One piece of a pair template: special-token ids or one of the two sequences, with the token type its tokens get.</summary>
/// <param name="Sequence">0 for sequence A, 1 for sequence B, -1 for the special tokens of <paramref name="Ids"/>.</param>
/// <param name="Ids">The special-token ids (empty for a sequence).</param>
/// <param name="TypeId">The token type of every token the piece puts in.</param>
internal sealed record TemplatePiece(int Sequence, IReadOnlyList<int> Ids, int TypeId)
{
    /// <summary>Special tokens of type <paramref name="typeId"/>.</summary>
    public static TemplatePiece Special(IReadOnlyList<int> ids, int typeId) => new(-1, ids, typeId);

    /// <summary>Sequence A (0) or B (1), its tokens of type <paramref name="typeId"/>.</summary>
    public static TemplatePiece Text(int sequence, int typeId) => new(sequence, [], typeId);
}

/// <summary>
/// Puts fixed ids around one sequence and joins two: TemplateProcessing ("$A" and "$A … $B" with special tokens around them),
/// BertProcessing ([CLS] A [SEP] B [SEP], B's part of type 1), RobertaProcessing (&lt;s&gt; A &lt;/s&gt;&lt;/s&gt; B &lt;/s&gt;, all of
/// type 0), ByteLevel (nothing; a pair is A then B, B of type 1, as tokenizers merges them) and their Sequence.
/// </summary>
/// <param name="prefix">The special-token ids put before a single sequence.</param>
/// <param name="suffix">The special-token ids put after a single sequence.</param>
/// <param name="pair">How two sequences are joined; null when the source defines no pair template.</param>
internal sealed class WrappingPostProcessor(IReadOnlyList<int> prefix, IReadOnlyList<int> suffix, IReadOnlyList<TemplatePiece>? pair)
{
    /// <summary>A processor that adds nothing.</summary>
    public static WrappingPostProcessor None { get; } = new([], [], [TemplatePiece.Text(0, 0), TemplatePiece.Text(1, 1)]);

    /// <summary>The special-token ids put before the sequence.</summary>
    public IReadOnlyList<int> Prefix { get; } = prefix;

    /// <summary>The special-token ids put after the sequence.</summary>
    public IReadOnlyList<int> Suffix { get; } = suffix;

    /// <summary>The pieces of a joined pair, in order; null when the source defines no pair template.</summary>
    public IReadOnlyList<TemplatePiece>? Pair { get; } = pair;

    private bool AddsNothing => Prefix.Count == 0 && Suffix.Count == 0 && Pair is { } p && p.All(piece => piece.Sequence >= 0);

    /// <summary>The ids with the special tokens of a single sequence added.</summary>
    public List<int> AddSpecialTokens(List<int> ids)
    {
        if (Prefix.Count == 0 && Suffix.Count == 0) return ids;
        var result = new List<int>(ids.Count + Prefix.Count + Suffix.Count);
        result.AddRange(Prefix);
        result.AddRange(ids);
        result.AddRange(Suffix);
        return result;
    }

    /// <summary><paramref name="first"/> and <paramref name="second"/> joined by the pair template, with each token's type; null without one.</summary>
    public EncodedPair? Join(IReadOnlyList<int> first, IReadOnlyList<int> second)
    {
        if (Pair == null) return null;
        var ids = new List<int>(first.Count + second.Count + 4);
        var types = new List<int>(ids.Capacity);
        foreach (var piece in Pair)
        {
            var part = piece.Sequence switch { 0 => first, 1 => second, _ => piece.Ids };
            ids.AddRange(part);
            for (var i = 0; i < part.Count; i++) types.Add(piece.TypeId);
        }
        return new EncodedPair([.. ids], [.. types]);
    }

    /// <summary>
    /// Two processors applied one after the other (tokenizers' Sequence). A processor that adds nothing passes a pair on; when both
    /// add tokens, the second wraps the first's joined pair as one sequence, which tokenizers retypes, so no pair template is kept.
    /// </summary>
    public WrappingPostProcessor Then(WrappingPostProcessor next)
    {
        var pair = AddsNothing ? next.Pair : next.AddsNothing ? Pair : null;
        return new([.. next.Prefix, .. Prefix], [.. Suffix, .. next.Suffix], pair);
    }
}
