using Moxing.Text.Tokenization;

namespace Moxing.Text.Tests.Tokenization;

public class PostProcessorTests
{
    private static int[] Encode(string postProcessor, bool addSpecialTokens) =>
        Components.Tokenizer(Components.WordLevel("[CLS]", "[SEP]", "hi"), postProcessor: postProcessor).Encode("hi", addSpecialTokens);

    [Fact]
    public void TemplateProcessingObjectsAndStringForm()
    {
        const string objects = """
            {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
              {"SpecialToken": {"id": "[SEP]", "type_id": 0}}], "pair": [],
             "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [0], "tokens": ["[CLS]"]}, "[SEP]": {"id": "[SEP]", "ids": [1], "tokens": ["[SEP]"]}}}
            """;
        Assert.Equal([0, 2, 1], Encode(objects, true));
        Assert.Equal([2], Encode(objects, false));
        const string text = """
            {"type": "TemplateProcessing", "single": "[CLS]:0 $A:0 [SEP]:0",
             "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [0], "tokens": ["[CLS]"]}, "[SEP]": {"id": "[SEP]", "ids": [1], "tokens": ["[SEP]"]}}}
            """;
        Assert.Equal([0, 2, 1], Encode(text, true));
    }

    [Fact]
    public void BertRobertaByteLevelAndSequence()
    {
        Assert.Equal([0, 2, 1], Encode("""{"type": "BertProcessing", "sep": ["[SEP]", 1], "cls": ["[CLS]", 0]}""", true));
        Assert.Equal([0, 2, 1], Encode("""{"type": "RobertaProcessing", "sep": ["[SEP]", 1], "cls": ["[CLS]", 0], "trim_offsets": true, "add_prefix_space": false}""", true));
        Assert.Equal([2], Encode("""{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false}""", true));
        Assert.Equal([0, 2, 1], Encode("""
            {"type": "Sequence", "processors": [{"type": "ByteLevel", "add_prefix_space": true}, {"type": "BertProcessing", "sep": ["[SEP]", 1], "cls": ["[CLS]", 0]}]}
            """, true));
    }
}

/// <summary>
/// Two texts joined by each post-processor's pair template, as tokenizers' processors join them: TemplateProcessing's pair (object
/// and short string form, with their type ids), BertProcessing ([CLS] A [SEP] B [SEP], B of type 1), RobertaProcessing (two
/// separators, every type 0), ByteLevel (A then B of type 1) and a Sequence passing the pair through ByteLevel.
/// </summary>
public class PairPostProcessorTests
{
    private const string Specials = """
        "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [0], "tokens": ["[CLS]"]}, "[SEP]": {"id": "[SEP]", "ids": [1], "tokens": ["[SEP]"]}}
        """;

    private static EncodedPair Pair(string postProcessor) =>
        Components.Tokenizer(Components.WordLevel("[CLS]", "[SEP]", "hi", "there"), preTokenizer: """{"type": "WhitespaceSplit"}""",
            postProcessor: postProcessor).EncodePair("hi", "there hi");

    private static void Equal(EncodedPair pair, int[] ids, int[] types)
    {
        Assert.Equal(ids, pair.Ids);
        Assert.Equal(types, pair.TypeIds);
    }

    [Fact]
    public void TemplatePairInBothForms()
    {
        Equal(Pair("""
            {"type": "TemplateProcessing", "single": "[CLS]:0 $A:0 [SEP]:0",
             "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                      {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            """ + Specials + "}"), [0, 2, 1, 3, 2, 1], [0, 0, 0, 1, 1, 1]);
        Equal(Pair($$"""{"type": "TemplateProcessing", "single": "[CLS] $A [SEP]", "pair": "[CLS] $A [SEP] $B:1 [SEP]:1", {{Specials}} }"""),
            [0, 2, 1, 3, 2, 1], [0, 0, 0, 1, 1, 1]);
        // "$1" is sequence A of type 1; a piece's ":n" wins
        Equal(Pair($$"""{"type": "TemplateProcessing", "single": "$A", "pair": "$1 [SEP]:2 $B", {{Specials}} }"""), [2, 1, 3, 2], [1, 2, 0, 0]);
    }

    [Fact]
    public void BertRobertaAndByteLevelPairs()
    {
        Equal(Pair("""{"type": "BertProcessing", "sep": ["[SEP]", 1], "cls": ["[CLS]", 0]}"""), [0, 2, 1, 3, 2, 1], [0, 0, 0, 1, 1, 1]);
        Equal(Pair("""{"type": "RobertaProcessing", "sep": ["[SEP]", 1], "cls": ["[CLS]", 0], "trim_offsets": true, "add_prefix_space": false}"""),
            [0, 2, 1, 1, 3, 2, 1], [0, 0, 0, 0, 0, 0, 0]);
        Equal(Pair("""{"type": "ByteLevel", "add_prefix_space": false}"""), [2, 3, 2], [0, 1, 1]);
        Equal(Pair("""
            {"type": "Sequence", "processors": [{"type": "ByteLevel", "add_prefix_space": true}, {"type": "BertProcessing", "sep": ["[SEP]", 1], "cls": ["[CLS]", 0]}]}
            """), [0, 2, 1, 3, 2, 1], [0, 0, 0, 1, 1, 1]);
    }

    [Fact]
    public void NoPairTemplateIsAnError()
    {
        var e = Assert.Throws<TokenizerException>(() => Pair($$"""{"type": "TemplateProcessing", "single": "[CLS] $A [SEP]", "pair": [], {{Specials}} }"""));
        Assert.Contains("pair template", e.Message);
        // a Sequence of two processors that both add tokens retypes the joined pair: not supported
        Assert.Throws<TokenizerException>(() => Pair("""
            {"type": "Sequence", "processors": [{"type": "BertProcessing", "sep": ["[SEP]", 1], "cls": ["[CLS]", 0]}, {"type": "BertProcessing", "sep": ["[SEP]", 1], "cls": ["[CLS]", 0]}]}
            """));
    }

    // The real tokenizer.json files: bert-tiny's TemplateProcessing, Llama 3.1's Sequence(ByteLevel, TemplateProcessing) with a
    // second <|begin_of_text|> of type 1, and Qwen3's bare ByteLevel.
    [Theory]
    [InlineData("tiny-wordpiece")]
    [InlineData("llama3_1")]
    [InlineData("qwen3")]
    public void RealTokenizerFilesJoinPairsAsTheirTemplates(string name)
    {
        var tokenizer = HfFixtures.Tokenizer(name);
        const string query = "what is a bear?", document = "The giant panda is a bear species endemic to China.";
        int[] a = tokenizer.Encode(query, addSpecialTokens: false), b = tokenizer.Encode(document, addSpecialTokens: false);
        var pair = tokenizer.EncodePair(query, document);
        var (ids, types) = name switch
        {
            "tiny-wordpiece" => ((int[])[2, .. a, 3, .. b, 3], (int[])[.. Enumerable.Repeat(0, a.Length + 2), .. Enumerable.Repeat(1, b.Length + 1)]),
            "llama3_1" => ([128000, .. a, 128000, .. b], [.. Enumerable.Repeat(0, a.Length + 1), .. Enumerable.Repeat(1, b.Length + 1)]),
            _ => ([.. a, .. b], [.. Enumerable.Repeat(0, a.Length), .. Enumerable.Repeat(1, b.Length)]),
        };
        Assert.Equal(ids, pair.Ids);
        Assert.Equal(types, pair.TypeIds);
    }
}
