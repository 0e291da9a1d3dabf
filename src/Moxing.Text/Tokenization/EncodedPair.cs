namespace Moxing.Text.Tokenization;

/// <summary>Two texts tokenized and joined as one input (a query and a document, a question and a passage).</summary>
/// <param name="Ids">The token ids, special tokens included.</param>
/// <param name="TypeIds">Each token's type (segment) id: 0 for the first part, 1 for the second where the template says so.</param>
public sealed record EncodedPair(int[] Ids, int[] TypeIds);
