using Moxing.Core;
using Moxing.Training.Data;
using Moxing.Training.Data.Readers;
using Moxing.Training.Data.Text;

namespace Moxing.Training.Tests.Data;

public class TextDataTests
{
    [Fact]
    public void JsonLinesTextClassification()
    {
        using var dir = new TempFolder();
        var path = dir.Write("t.jsonl", "{\"text\":\"Buy now!\",\"label\":\"spam\"}\n\n{\"text\":\"see you\",\"label\":\"ham\"}\n{\"text\":\"hi\",\"label\":\"ham\"}\n");
        var texts = TextClassificationReader.Read(path);
        Assert.Equal(["ham", "spam"], texts.ClassNames);
        Assert.Equal([1, 0, 0], texts.Labels);
        Assert.Equal("see you", texts.Texts[1]);
    }

    [Fact]
    public void CsvTextClassificationWithMultilineQuotedText()
    {
        using var dir = new TempFolder();
        var path = dir.Write("t.csv", "label,text\npos,\"good, very\n\"\"good\"\"\"\nneg,bad\n");
        var texts = TextClassificationReader.Read(path);
        Assert.Equal("good, very\n\"good\"", texts.Texts[0]);
        Assert.Equal(["neg", "pos"], texts.ClassNames);
    }

    [Fact]
    public void BadJsonLineIsNamed()
    {
        using var dir = new TempFolder();
        var path = dir.Write("t.jsonl", "{\"text\":\"a\",\"label\":1}\n{\"text\":\"b\"}\n");
        var e = Assert.Throws<InvalidModelFileException>(() => TextClassificationReader.Read(path));
        Assert.Contains("t.jsonl: line 2: no \"label\" field", e.Message);
        path = dir.Write("u.jsonl", "[1]\nnot json\n");
        Assert.Contains("line 1: expected a JSON object", Assert.Throws<InvalidModelFileException>(() => TextClassificationReader.Read(path)).Message);
    }

    [Fact]
    public void WordVocabularyEncodesAndLeftPads()
    {
        var vocab = TokenVocabulary.Build(["The cat sat.", "the dog sat"], TokenLevel.Words);
        Assert.Equal(["<pad>", "<unk>", "sat", "the", ".", "cat", "dog"], vocab.Tokens);
        Assert.Equal([3, 5, 1], vocab.Encode("THE cat flew"));
        var texts = new LabeledTexts(["the cat", "the cat sat the dog"], [0, 1], ["a", "b"]);
        var data = texts.Encode(vocab, 3);
        Assert.Equal(InputKind.Tokens, data.Kind);
        Assert.Equal([0f, 3, 5, 3, 5, 2], data.Inputs);
        Assert.Equal(7, data.VocabularySize);
    }

    [Fact]
    public void CharacterVocabularyRoundTripsThroughAFile()
    {
        using var dir = new TempFolder();
        var vocab = TokenVocabulary.Build(["anna", "bob"], TokenLevel.Characters, maxSize: 4);
        Assert.Equal(4, vocab.VocabularySize);
        vocab.Save(dir.File("v.json"));
        var loaded = TokenVocabulary.Load(dir.File("v.json"));
        Assert.Equal(vocab.Tokens, loaded.Tokens);
        Assert.Equal("ab<unk>", loaded.Decode(loaded.Encode("abn")));
        dir.Write("bad.json", "{\"level\":\"bytes\"}");
        Assert.Contains("bad.json", Assert.Throws<InvalidModelFileException>(() => TokenVocabulary.Load(dir.File("bad.json"))).Message);
    }

    [Fact]
    public void LanguageModelWindowsPredictTheNextToken()
    {
        using var dir = new TempFolder();
        var path = dir.Write("names.txt", "ann\n\n bo \n");
        var text = LanguageModelCorpus.ReadText(path, linesAreDocuments: true);
        Assert.Equal("\nann\nbo\n", text);
        var vocab = TokenVocabulary.Build([text], TokenLevel.Characters);
        var data = LanguageModelCorpus.Windows(text, vocab, blockSize: 3, stride: 2);
        var ids = vocab.Encode(text);
        Assert.Equal(3, data.Count);
        Assert.Equal(3, data.Targets.LabelsPerExample);
        Assert.Equal(ids[2..5].Select(i => (float)i), data.Example(1).ToArray());
        Assert.Equal(ids[3..6], data.Targets.Labels![3..6]);
        Assert.Throws<MoxingException>(() => LanguageModelCorpus.Windows("ab", vocab, 3, 1));
    }
}
