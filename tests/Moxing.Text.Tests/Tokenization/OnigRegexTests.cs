using System.Globalization;
using Moxing.Text.Tokenization.Patterns;

namespace Moxing.Text.Tests.Tokenization;

public class OnigRegexTests
{
    private static string[] Matches(string pattern, string text)
    {
        var found = new List<(int Start, int End)>();
        new OnigRegex(pattern).Matches(text, found);
        return [.. found.Select(m => text[m.Start..m.End])];
    }

    [Theory]
    [InlineData(@"\x{41}\x{3b1}", "Aα", new[] { "Aα" })]
    [InlineData(@"\p{Letter}+|\p{Decimal_Number}+", "ab12", new[] { "ab", "12" })]
    [InlineData(@"\p{^L}+", "ab12cd", new[] { "12" })]
    [InlineData(@"[[:digit:][:upper:]]+", "aB3c", new[] { "B3" })]
    [InlineData(@"\h+", "xyzBEEFg", new[] { "BEEF" })]
    [InlineData(@"(?m:a.b)", "a\nb", new[] { "a\nb" })]
    [InlineData(@"^x", "x\nx", new[] { "x", "x" })]
    [InlineData(@"a{,2}b", "aaab", new[] { "aab" })]
    [InlineData(@"\d{2}+", "12345", new[] { "1234" })]
    [InlineData(@"x{", "x{", new[] { "x{" })]
    [InlineData(@" ?[^(\s|[.,!?…。，、।۔،])]+", "Hello, world! (Ok)", new[] { "Hello", " world", "Ok" })]
    [InlineData(@"[a[b-d]]+", "xabdey", new[] { "abd" })]
    public void OnigurumaSyntaxRunsOnDotNet(string pattern, string text, string[] expected) =>
        Assert.Equal(expected, Matches(pattern, text));

    [Fact]
    public void AstralCodePointsMatchTheirCategory()
    {
        Assert.Equal(["𝐀𝐁c"], Matches(@"\p{L}+", "𝐀𝐁c"));
        Assert.Equal(["𝟏𝟐"], Matches(@"\p{N}{1,3}", "𝟏𝟐"));
        Assert.Equal(["🚀", "😀"], Matches(@"\p{So}", "a🚀b😀"));
        Assert.Equal(["a"], Matches("[a𐐀-𐑏]", "a𐐀"));
    }

    [Fact]
    public void StandInsHaveTheirCategory()
    {
        foreach (UnicodeCategory category in Enum.GetValues<UnicodeCategory>())
        {
            Assert.Equal(category, CharUnicodeInfo.GetUnicodeCategory(OnigRegex.StandIn(category)));
        }
    }

    [Theory]
    [InlineData(@"\x{zz}")]
    [InlineData(@"\x{1F600}")]
    [InlineData("a{2,1}")]
    [InlineData("[z-a]")]
    [InlineData("(?<")]
    [InlineData("(a")]
    [InlineData("a)")]
    [InlineData("\\")]
    [InlineData("[[:bogus:]]")]
    [InlineData("[a&&b]")]
    [InlineData("[a[^b]]")]
    [InlineData(@"\p{Greek}")]
    [InlineData(@"\X")]
    [InlineData("+a")]
    [InlineData("[abc")]
    public void UntranslatablePatternsAreFormatErrors(string pattern) =>
        Assert.Throws<FormatException>(() => new OnigRegex(pattern));
}
