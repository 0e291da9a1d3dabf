using Moxing.Core;
using Moxing.Training.Data.Readers;

namespace Moxing.Training.Data.Text;

/// <summary>Plain text for language modelling: windows of token ids whose labels are the next tokens.</summary>
public static class LanguageModelCorpus
{
    /// <summary>
    /// The text of a corpus file; with <paramref name="linesAreDocuments"/> each non-empty line is one document
    /// (a name, a sentence) and documents are joined by newlines, with a newline before the first.
    /// </summary>
    public static string ReadText(string path, bool linesAreDocuments)
    {
        if (!linesAreDocuments)
        {
            using var reader = new StreamReader(DataFile.Open(path));
            return reader.ReadToEnd();
        }
        var lines = DataFile.Lines(path).Select(l => l.Text.Trim()).Where(l => l.Length > 0).ToList();
        if (lines.Count == 0) throw new InvalidModelFileException(path, "no text");
        return "\n" + string.Join("\n", lines) + "\n";
    }

    /// <summary>
    /// Encodes <paramref name="text"/> and cuts it into windows of <paramref name="blockSize"/> tokens starting every
    /// <paramref name="stride"/> tokens; each window's labels are the tokens one position later.
    /// </summary>
    public static Dataset Windows(string text, ITextEncoder encoder, int blockSize, int stride)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        if (blockSize <= 0 || stride <= 0) throw new ArgumentOutOfRangeException(nameof(blockSize), "block size and stride must be positive");
        var ids = encoder.Encode(text);
        if (ids.Length < blockSize + 1) throw new MoxingException($"the corpus has {ids.Length} tokens, fewer than a block of {blockSize} + 1");
        var count = (ids.Length - blockSize - 1) / stride + 1;
        var inputs = new float[count * blockSize];
        var labels = new int[count * blockSize];
        for (var w = 0; w < count; w++)
            for (var t = 0; t < blockSize; t++)
            {
                inputs[w * blockSize + t] = ids[w * stride + t];
                labels[w * blockSize + t] = ids[w * stride + t + 1];
            }
        var names = Enumerable.Range(0, encoder.VocabularySize).Select(encoder.TokenText).ToArray();
        return new Dataset(inputs, [blockSize], DatasetTargets.Sequences(labels, blockSize, names), InputKind.Tokens, encoder.VocabularySize);
    }
}
