using Moxing.Text.Tokenization;

namespace Moxing.Text.Tests.Tokenization;

public class MalformedTokenizerTests
{
    private const string GoodModel = """{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}""";

    private static TokenizerException Fails(string json) =>
        Assert.Throws<TokenizerException>(() => Tokenizer.FromJsonText(json, "broken/tokenizer.json"));

    [Theory]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("[]", "top level")]
    [InlineData("""{"normalizer": null}""", "field 'model' is missing")]
    [InlineData("""{"model": {"type": "Magic", "vocab": {}}}""", "field 'model.type': unknown model type 'Magic'")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": -1}, "merges": []}}""", "field 'model.vocab'")]
    [InlineData("""{"model": {"type": "BPE", "vocab": [], "merges": []}}""", "field 'model.vocab': expected an object")]
    [InlineData("""{"model": {"type": "WordLevel", "vocab": {"a": 2000000000}, "unk_token": "a"}}""", "field 'model.vocab': token 'a' has id 2000000000")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}}""", "field 'model.merges[0]': merged token 'ab' is not in the vocabulary")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a c"]}}""", "field 'model.merges[0]': token 'c' is not in the vocabulary")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["abc"]}}""", "field 'model.merges[0]'")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a"]]}}""", "field 'model.merges[0]'")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "dropout": 2}}""", "field 'model.dropout'")]
    [InlineData("""{"model": {"type": "Unigram", "unk_id": 5, "vocab": [["a", 0]]}}""", "field 'model.unk_id'")]
    [InlineData("""{"model": {"type": "Unigram", "vocab": [["a", "x"]]}}""", "field 'model.vocab[0]'")]
    public void ModelAndSyntaxErrorsNameTheFileAndField(string json, string expected)
    {
        var e = Fails(json);
        Assert.Contains("broken/tokenizer.json", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("normalizer", """{"type": "Shout"}""", "field 'normalizer.type': unknown normalizer type 'Shout'")]
    [InlineData("normalizer", """{"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Replace", "pattern": {"Glob": "*"}, "content": ""}]}""", "field 'normalizer.normalizers[1].pattern'")]
    [InlineData("normalizer", """{"type": "Precompiled", "precompiled_charsmap": "%%%"}""", "field 'normalizer.precompiled_charsmap': expected base64")]
    [InlineData("pre_tokenizer", """{"type": "Split", "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated", "invert": false}""", "field 'pre_tokenizer.pattern.Regex'")]
    [InlineData("pre_tokenizer", """{"type": "Split", "pattern": {"Regex": "\\p{Han}+"}, "behavior": "Isolated", "invert": false}""", "\\p{Han}")]
    [InlineData("pre_tokenizer", """{"type": "Split", "pattern": {"String": " "}, "behavior": "Sideways", "invert": false}""", "field 'pre_tokenizer.behavior'")]
    [InlineData("pre_tokenizer", """{"type": "Metaspace", "replacement": "ab"}""", "field 'pre_tokenizer.replacement': expected one character")]
    [InlineData("pre_tokenizer", """{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "sometimes"}""", "field 'pre_tokenizer.prepend_scheme'")]
    [InlineData("pre_tokenizer", """{"type": "UnicodeScripts"}""", "not supported")]
    [InlineData("post_processor", """{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}], "special_tokens": {}}""", "special token '[CLS]' is not in special_tokens")]
    [InlineData("post_processor", """{"type": "BertProcessing", "sep": "[SEP]", "cls": ["[CLS]", 0]}""", "field 'post_processor.sep': expected [token, id]")]
    [InlineData("decoder", """{"type": "Strip", "content": " ", "start": -1}""", "field 'decoder.start'")]
    [InlineData("decoder", """{"type": "Teleport"}""", "field 'decoder.type'")]
    [InlineData("added_tokens", """[{"id": 5}]""", "field 'added_tokens[0].content' is missing")]
    public void ComponentErrorsNameTheField(string section, string value, string expected)
    {
        var e = Fails($$"""{"model": {{GoodModel}}, "{{section}}": {{value}}}""");
        Assert.Contains("broken/tokenizer.json", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        var e = Assert.Throws<TokenizerException>(() => Tokenizer.FromJson("/no/such/dir/tokenizer.json"));
        Assert.Contains("/no/such/dir/tokenizer.json", e.Message);
    }

    [Theory]
    [InlineData("tokenizer.json")]
    [InlineData("tokenizer_config.json")]
    public void InvalidUtf8IsATokenizerErrorNamingTheByte(string broken)
    {
        // Found by fuzzing (scripts/fuzz.sh tokenizer): a vocabulary key with a bad byte threw InvalidOperationException when read.
        string dir = Directory.CreateTempSubdirectory("moxing-tok").FullName;
        try
        {
            byte[] bad = [.. "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \""u8, 0xC3, 0x28, .. "\": 1}, \"merges\": []}}"u8];
            File.WriteAllText(Path.Combine(dir, "tokenizer.json"), $$"""{"model": {{GoodModel}}}""");
            File.WriteAllBytes(Path.Combine(dir, broken), bad);
            var e = Assert.Throws<TokenizerException>(() => Tokenizer.FromJson(Path.Combine(dir, "tokenizer.json")));
            Assert.Contains(broken, e.Message);
            Assert.Contains($"not valid UTF-8 (byte {Array.IndexOf(bad, (byte)0xC3)} ", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void BrokenConfigBesideTheTokenizerIsNamed()
    {
        string dir = Directory.CreateTempSubdirectory("moxing-tok").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "tokenizer.json"), $$"""{"model": {{GoodModel}}}""");
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"bos_token": 5}""");
            var e = Assert.Throws<TokenizerException>(() => Tokenizer.FromJson(Path.Combine(dir, "tokenizer.json")));
            Assert.Contains("tokenizer_config.json", e.Message);
            Assert.Contains("field 'bos_token': expected a string", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
