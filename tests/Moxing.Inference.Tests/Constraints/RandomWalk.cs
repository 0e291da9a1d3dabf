using System.Text;
using Moxing.Inference.Constraints;

namespace Moxing.Inference.Tests.Constraints;

/// <summary>Drives a constraint with random allowed tokens (seeded), then steers towards closing once a budget is spent.</summary>
internal static class RandomWalk
{
    public static string Run(GrammarConstraint constraint, Moxing.Text.Tokenization.Tokenizer tokenizer, int seed, int budget = 40, int cap = 600)
    {
        var vocabulary = TokenVocabulary.For(tokenizer);
        return Encoding.UTF8.GetString([.. Ids(constraint, tokenizer, seed, budget, cap).SelectMany(id => vocabulary.TokenBytes[id]!)]);
    }

    /// <summary>The token ids of a walk (for outputs with special tokens, which have no text bytes).</summary>
    public static List<int> Ids(GrammarConstraint constraint, Moxing.Text.Tokenization.Tokenizer tokenizer, int seed, int budget = 40, int cap = 600)
    {
        var random = new Random(seed);
        var logits = new float[tokenizer.VocabSize];
        var allowed = new List<int>();
        var ids = new List<int>();
        var vocabulary = TokenVocabulary.For(tokenizer);
        for (var step = 0; step < cap; step++)
        {
            if (constraint.IsComplete) break;
            if (constraint.CanEnd && (step >= budget || random.Next(8) == 0)) break;
            Array.Clear(logits);
            constraint.Mask(logits);
            allowed.Clear();
            for (var id = 0; id < logits.Length; id++)
                if (!float.IsNegativeInfinity(logits[id]) && !constraint.EndTokenIds.Contains(id)) allowed.Add(id);
            Assert.True(allowed.Count > 0, $"no token allowed after '{tokenizer.Decode([.. ids], false)}'");
            var pick = step < budget ? allowed[random.Next(allowed.Count)] : Closing(allowed, vocabulary, random);
            Assert.True(constraint.IsAllowed(pick));
            constraint.Accept(pick);
            ids.Add(pick);
        }
        Assert.True(constraint.CanEnd, $"the walk did not complete: '{tokenizer.Decode([.. ids], false)}'");
        return ids;
    }

    // Past the budget: a token that closes something (quote, bracket, brace) when one is allowed, else a one-byte token.
    private static int Closing(List<int> allowed, TokenVocabulary vocabulary, Random random)
    {
        var closing = allowed.Where(id => vocabulary.TokenBytes[id]!.Length == 1 && vocabulary.TokenBytes[id]![0] is (byte)'"' or (byte)']' or (byte)'}').ToList();
        if (closing.Count > 0) return closing[random.Next(closing.Count)];
        var single = allowed.Where(id => vocabulary.TokenBytes[id]!.Length == 1).ToList();
        return single.Count > 0 ? single[random.Next(single.Count)] : allowed[random.Next(allowed.Count)];
    }
}
