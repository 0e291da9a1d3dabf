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
