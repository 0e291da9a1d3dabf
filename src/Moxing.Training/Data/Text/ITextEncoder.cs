namespace Moxing.Training.Data.Text;

/// <summary>Turns text into token ids and back, for text classifiers and language models.</summary>
public interface ITextEncoder
{
    /// <summary>Number of token ids (ids are 0..VocabularySize-1).</summary>
    int VocabularySize { get; }

    /// <summary>The id used to pad short sequences.</summary>
    int PadId { get; }

    /// <summary>Token ids of <paramref name="text"/>.</summary>
    int[] Encode(string text);

    /// <summary>Text of token ids.</summary>
    string Decode(ReadOnlySpan<int> ids);

    /// <summary>The text of one token id (for naming language-model classes).</summary>
    string TokenText(int id);
}
