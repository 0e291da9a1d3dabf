namespace Moxing.Text.Tokenization.PostProcessors;

/// <summary>
/// Puts fixed ids before and after a single sequence: TemplateProcessing ("$A" with special tokens around it),
/// BertProcessing ([CLS] A [SEP]), RobertaProcessing (&lt;s&gt; A &lt;/s&gt;), ByteLevel (nothing) and their Sequence.
/// </summary>
internal sealed class WrappingPostProcessor(IReadOnlyList<int> prefix, IReadOnlyList<int> suffix)
{
    /// <summary>A processor that adds nothing.</summary>
    public static WrappingPostProcessor None { get; } = new([], []);

    /// <summary>The special-token ids put before the sequence.</summary>
    public IReadOnlyList<int> Prefix { get; } = prefix;

    /// <summary>The special-token ids put after the sequence.</summary>
    public IReadOnlyList<int> Suffix { get; } = suffix;

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

    /// <summary>Two processors applied one after the other.</summary>
    public WrappingPostProcessor Then(WrappingPostProcessor next) =>
        new([.. next.Prefix, .. Prefix], [.. Suffix, .. next.Suffix]);
}
