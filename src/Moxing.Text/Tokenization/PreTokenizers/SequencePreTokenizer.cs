namespace Moxing.Text.Tokenization.PreTokenizers;

/// <summary>Applies pre-tokenizers one after the other to every piece.</summary>
internal sealed class SequencePreTokenizer(IReadOnlyList<IPreTokenizer> preTokenizers) : IPreTokenizer
{
    /// <summary>The pre-tokenizers in order.</summary>
    public IReadOnlyList<IPreTokenizer> PreTokenizers { get; } = preTokenizers;

    /// <inheritdoc/>
    public void PreTokenize(TextPiece piece, List<TextPiece> output)
    {
        var current = new List<TextPiece> { piece };
        var next = new List<TextPiece>();
        foreach (var preTokenizer in PreTokenizers)
        {
            next.Clear();
            foreach (var p in current) preTokenizer.PreTokenize(p, next);
            (current, next) = (next, current);
        }
        output.AddRange(current);
    }
}
