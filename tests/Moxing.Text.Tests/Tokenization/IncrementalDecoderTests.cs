using System.Text;
using Moxing.Text.Tokenization;

namespace Moxing.Text.Tests.Tokenization;

public class IncrementalDecoderTests
{
    public static TheoryData<string, int> Cases => HfFixtures.AllCases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void StreamedPiecesJoinToTheFullDecode(string name, int index)
    {
        var tokenizer = HfFixtures.Tokenizer(name);
        var c = HfFixtures.Cases(name)[index];
        foreach (bool skip in new[] { false, true })
        {
            foreach (int[] ids in new[] { c.Ids, c.IdsWithSpecial })
            {
                string full = tokenizer.Decode(ids, skip);
                var pieces = Stream(tokenizer, ids, skip);
                Assert.Equal(full, string.Concat(pieces));
                if (!full.Contains('\uFFFD')) Assert.DoesNotContain(pieces, p => p.Contains('\uFFFD'));
            }
        }
    }

    [Fact]
    public void ByteFallbackCharacterIsHeldUntilComplete()
    {
        var tokenizer = HfFixtures.Tokenizer("llama2");
        // 텍 (U+D14D) is not in the vocabulary: it is encoded as three byte tokens.
        int[] ids = tokenizer.Encode("a텍b", addSpecialTokens: false);
        Assert.Contains(ids, id => tokenizer.IdToToken(id) == "<0xED>");
        var decoder = tokenizer.CreateIncrementalDecoder(skipSpecialTokens: false);
        var pieces = ids.Select(decoder.Add).ToList();
        Assert.Equal("a텍b", string.Concat(pieces) + decoder.Flush());
        int first = Array.FindIndex(ids, id => tokenizer.IdToToken(id) == "<0xED>");
        Assert.Equal("", pieces[first]);
        Assert.Equal("", pieces[first + 1]);
        Assert.Equal("텍", pieces[first + 2]);
    }

    [Fact]
    public void ByteLevelPartialCharacterIsHeldUntilComplete()
    {
        var tokenizer = HfFixtures.Tokenizer("tiny-bpe");
        int[] ids = tokenizer.Encode("🚀", addSpecialTokens: false);
        Assert.True(ids.Length > 1);
        var decoder = tokenizer.CreateIncrementalDecoder(skipSpecialTokens: false);
        var pieces = ids.Select(decoder.Add).ToList();
        Assert.All(pieces.Take(ids.Length - 1), p => Assert.Equal("", p));
        Assert.Equal("🚀", pieces[^1]);
    }

    [Fact]
    public void MetaspaceLeadingSpaceIsStrippedOnlyAtTheStart()
    {
        var tokenizer = HfFixtures.Tokenizer("llama2");
        int[] ids = tokenizer.Encode("Hello big world", addSpecialTokens: true);
        var decoder = tokenizer.CreateIncrementalDecoder(skipSpecialTokens: true);
        var pieces = ids.Select(decoder.Add).Where(p => p.Length > 0).ToList();
        Assert.Equal(["Hello", " big", " world"], pieces);
    }

    [Fact]
    public void CleanUpHoldsATrailingSpaceUntilTheNextToken()
    {
        // Llama 3 decodes with clean_up_tokenization_spaces: " ." loses its space, so a streamed space must wait.
        var tokenizer = HfFixtures.Tokenizer("llama3_1");
        Assert.True(tokenizer.CleanUpTokenizationSpaces);
        int[] ids = [.. tokenizer.Encode("I said", false), .. tokenizer.Encode(" ", false), .. tokenizer.Encode(".", false)];
        string full = tokenizer.Decode(ids, false);
        Assert.Equal("I said.", full);
        Assert.Equal(full, string.Concat(Stream(tokenizer, ids, false)));
    }

    [Fact]
    public void FlushReturnsAnIncompleteTailAndResets()
    {
        var tokenizer = HfFixtures.Tokenizer("tiny-bpe");
        int[] ids = tokenizer.Encode("é", addSpecialTokens: false);
        var decoder = tokenizer.CreateIncrementalDecoder(skipSpecialTokens: false);
        Assert.Equal("", decoder.Add(ids[0]));
        Assert.Equal("\uFFFD", decoder.Flush());
        Assert.Equal("é", string.Concat(ids.Select(decoder.Add)));
    }

    [Fact]
    public void EndlessInvalidBytesDoNotGrowTheWindowForever()
    {
        var tokenizer = HfFixtures.Tokenizer("llama2");
        int lead = tokenizer.TokenToId("<0xE4>")!.Value;
        var decoder = tokenizer.CreateIncrementalDecoder(skipSpecialTokens: false);
        var pieces = Enumerable.Range(0, 1000).Select(_ => decoder.Add(lead)).ToList();
        pieces.Add(decoder.Flush());
        Assert.Equal(new string('\uFFFD', 1000), string.Concat(pieces));
        Assert.True(pieces.Count(p => p.Length > 0) > 1);
    }

    private static List<string> Stream(Tokenizer tokenizer, int[] ids, bool skip)
    {
        var decoder = tokenizer.CreateIncrementalDecoder(skip);
        var pieces = ids.Select(decoder.Add).ToList();
        pieces.Add(decoder.Flush());
        return pieces;
    }
}
