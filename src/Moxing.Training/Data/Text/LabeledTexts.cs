namespace Moxing.Training.Data.Text;

/// <summary>Texts with class labels (index into <see cref="ClassNames"/>), before tokenization.</summary>
public sealed record LabeledTexts(string[] Texts, int[] Labels, IReadOnlyList<string> ClassNames)
{
    /// <summary>
    /// Tokenizes every text into a [<paramref name="maxLength"/>] example: longer texts keep their first tokens,
    /// shorter ones are padded on the left so the last position always holds the last real token.
    /// </summary>
    public Dataset Encode(ITextEncoder encoder, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        if (maxLength <= 0) throw new ArgumentOutOfRangeException(nameof(maxLength));
        var inputs = new float[Texts.Length * maxLength];
        for (var i = 0; i < Texts.Length; i++)
            WriteLeftPadded(encoder.Encode(Texts[i]), encoder.PadId, inputs.AsSpan(i * maxLength, maxLength));
        return new Dataset(inputs, [maxLength], DatasetTargets.Classes(Labels, ClassNames), InputKind.Tokens, encoder.VocabularySize);
    }

    /// <summary>Writes the first tokens of <paramref name="ids"/> to the end of <paramref name="row"/>, padding before them.</summary>
    public static void WriteLeftPadded(ReadOnlySpan<int> ids, int padId, Span<float> row)
    {
        var n = Math.Min(ids.Length, row.Length);
        var pad = row.Length - n;
        row[..pad].Fill(padId);
        for (var t = 0; t < n; t++) row[pad + t] = ids[t];
    }
}
