using Moxing.Server.Store;

namespace Moxing.Server.Tests.Store;

public class ModelNameTests
{
    [Theory]
    [InlineData("qwen2.5", "qwen2.5", "latest")]
    [InlineData("Qwen/Qwen2.5-0.5B-Instruct:Q4_K_M", "qwen/qwen2.5-0.5b-instruct", "q4_k_m")]
    [InlineData("  llama-tiny:v1  ", "llama-tiny", "v1")]
    [InlineData("hf.co/org/model:_x", "hf.co/org/model", "_x")]
    public void ParsesNameAndTagLowerCased(string text, string name, string tag)
    {
        var parsed = ModelName.Parse(text);
        Assert.Equal(name, parsed.Name);
        Assert.Equal(tag, parsed.Tag);
        Assert.Equal($"{name}:{tag}", parsed.ToString());
    }

    [Theory]
    [InlineData("", "the name is empty")]
    [InlineData(":tag", "the name is empty")]
    [InlineData("model:", "the tag after ':' is empty")]
    [InlineData("a//b", "empty part")]
    [InlineData("../etc", "must start with a letter or digit")]
    [InlineData(".hidden", "must start with a letter or digit")]
    [InlineData("a/b/c/d/e", "more than 4")]
    [InlineData("my model", "not ' '")]
    [InlineData("model:v1/x", "the tag may contain only")]
    [InlineData("model:-x", "must start with a letter, digit or '_'")]
    [InlineData("mo\\del", "not '\\'")]
    public void RejectsBadNamesSayingWhy(string text, string problem)
    {
        var e = Assert.Throws<InvalidModelNameException>(() => ModelName.Parse(text));
        Assert.Contains(problem, e.Message);
        Assert.Contains("expected name[:tag]", e.Message);
        Assert.False(ModelName.TryParse(text, out _));
    }

    [Fact]
    public void RejectsOverlongNames() =>
        Assert.Contains("longer than 80", Assert.Throws<InvalidModelNameException>(() => ModelName.Parse(new string('a', 81))).Message);

    [Theory]
    [InlineData("Llama-Tiny.Q4_K_M", "llama-tiny.q4_k_m")]
    [InlineData("my model (v2)", "my-model--v2-")]
    [InlineData("--.x", "x")]
    [InlineData("模型", "")]
    public void SanitizesFreeText(string text, string expected) => Assert.Equal(expected, ModelName.Sanitize(text));
}
