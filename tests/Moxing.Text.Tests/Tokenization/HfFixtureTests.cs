namespace Moxing.Text.Tests.Tokenization;

public class HfFixtureTests
{
    public static TheoryData<string, int> Cases => HfFixtures.AllCases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void EncodeMatchesHuggingFace(string name, int index)
    {
        var c = HfFixtures.Cases(name)[index];
        var tokenizer = HfFixtures.Tokenizer(name);
        Assert.Equal(c.Ids, tokenizer.Encode(c.Text, addSpecialTokens: false));
        Assert.Equal(c.IdsWithSpecial, tokenizer.Encode(c.Text, addSpecialTokens: true));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DecodeMatchesHuggingFace(string name, int index)
    {
        var c = HfFixtures.Cases(name)[index];
        var tokenizer = HfFixtures.Tokenizer(name);
        Assert.Equal(c.Decoded, tokenizer.Decode(c.Ids, skipSpecialTokens: false));
        Assert.Equal(c.DecodedSkipSpecial, tokenizer.Decode(c.Ids, skipSpecialTokens: true));
    }
}
