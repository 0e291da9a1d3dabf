using System.Text.Json.Nodes;
using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.Safetensors;
using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Models.Conversion;
using Moxing.Models.Encoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Encoder;

/// <summary>
/// Sequence classifiers (cross-encoder rerankers): BertForSequenceClassification (pooler dense + tanh on [CLS], classifier) and
/// (XLM-)RobertaForSequenceClassification (classifier.dense + tanh on &lt;s&gt;, out_proj) folders with random heads, scored on query–document
/// pairs against <see cref="EncoderReference"/>'s statement of transformers; dropping the tanh, the dense layer or the second text's
/// token type moves the scores past the tolerance. Converted to GGUF as llama.cpp's rank pooling reads them (`cls`, `cls.output`,
/// output labels, pooling_type RANK), the file scores as the folder.
/// </summary>
public sealed class SequenceClassifierTests : IDisposable
{
    private static readonly (string Query, string Document)[] Pairs =
    [
        ("what is a panda?", "The giant panda is a bear species endemic to China."),
        ("hello world", "good morning to the whole world"),
        ("how many people live in berlin", "Berlin had a population of 3,520,031 registered inhabitants."),
    ];

    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-classifier-").FullName;

    private string Bert(params string[] labels) => ClassifierFolder.FromBertTiny(Path.Combine(_dir, "bert-" + labels.Length), labels);

    private string Roberta(string modelType, params string[] labels)
    {
        var folder = RobertaTests.WriteFromBertTiny(Path.Combine(_dir, modelType), modelType);
        XlmRobertaGgufTests.WriteTokenizer(folder);
        return ClassifierFolder.AddHead(folder, labels);
    }

    private static float[] Scores(LoadedModel model, EncodedPairs pairs) =>
        model.Classifier!.Scores(model.RequireEncoder().EncodeMany(pairs.Ids, pairs.Types));

    private sealed record EncodedPairs(int[][] Ids, int[][] Types);

    private static EncodedPairs Encode(LoadedModel model)
    {
        var encoded = Pairs.Select(p => model.RequireTokenizer().EncodePair(p.Query, p.Document)).ToArray();
        return new EncodedPairs([.. encoded.Select(e => e.Ids)], [.. encoded.Select(e => e.TypeIds)]);
    }

    private static float[] Reference(EncoderReference reference, EncodedPairs pairs, string? dense, string output, bool tanh = true, bool zeroTypes = false) =>
        [.. pairs.Ids.Select((ids, i) => reference.Classify(reference.Encode(ids, zeroTypes ? null : pairs.Types[i]), dense, output, tanh))
            .SelectMany(row => row.Select(v => (float)v))];

    [Fact]
    public void BertRerankerMatchesTransformersAndNeedsItsPoolerAndTokenTypes()
    {
        var folder = Bert("LABEL_0");
        using var model = ModelLoader.Load(folder);
        var head = model.Classifier!;
        Assert.Equal(["LABEL_0"], head.Labels);
        Assert.True(head.HasDense);
        var pairs = Encode(model);
        Assert.Contains(1, pairs.Types[0]);
        using var tensors = SafetensorsFile.Open(Path.Combine(folder, "model.safetensors"));
        var reference = new EncoderReference(tensors, EncoderLayout.HfBert(), 4, 1e-12);
        var ours = Scores(model, pairs);
        Assert.True(LogitErrors.RelativeMax(Reference(reference, pairs, "bert.pooler.dense", "classifier"), ours) <= 1e-4, "reference");
        Assert.True(LogitErrors.RelativeMax(Reference(reference, pairs, "bert.pooler.dense", "classifier", tanh: false), ours) > 1e-2, "without tanh");
        Assert.True(LogitErrors.RelativeMax(Reference(reference, pairs, null, "classifier"), ours) > 1e-2, "without the pooler");
        Assert.True(LogitErrors.RelativeMax(Reference(reference, pairs, "bert.pooler.dense", "classifier", zeroTypes: true), ours) > 1e-2, "token types all 0");
    }

    [Theory]
    [InlineData("roberta")]
    [InlineData("xlm-roberta")]
    public void RobertaClassifierMatchesTransformers(string modelType)
    {
        var folder = Roberta(modelType, "negative", "neutral", "positive");
        using var model = ModelLoader.Load(folder);
        Assert.Equal(["negative", "neutral", "positive"], model.Classifier!.Labels);
        var pairs = Encode(model);
        Assert.Equal([0, 2, 2], pairs.Ids[0].Where(id => id is 0 or 2).Take(3));
        Assert.All(pairs.Types, types => Assert.All(types, t => Assert.Equal(0, t)));
        using var tensors = SafetensorsFile.Open(Path.Combine(folder, "model.safetensors"));
        var reference = new EncoderReference(tensors, EncoderLayout.HfRoberta(1), 4, 1e-12);
        var ours = Scores(model, pairs);
        Assert.True(LogitErrors.RelativeMax(Reference(reference, pairs, "classifier.dense", "classifier.out_proj"), ours) <= 1e-4, "reference");
        Assert.True(LogitErrors.RelativeMax(Reference(reference, pairs, "classifier.dense", "classifier.out_proj", tanh: false), ours) > 1e-2, "without tanh");
    }

    [Fact]
    public void ProbabilitiesFollowTheProblemType()
    {
        using var single = ModelLoader.Load(Bert("LABEL_0"));
        var scores = Scores(single, Encode(single));
        var probabilities = scores.ToArray();
        single.Classifier!.ToProbabilities(probabilities);
        for (var i = 0; i < scores.Length; i++) Assert.Equal(1 / (1 + Math.Exp(-scores[i])), probabilities[i], 6);
        using var three = ModelLoader.Load(Roberta("roberta", "a", "b", "c"));
        var rows = Scores(three, Encode(three));
        three.Classifier!.ToProbabilities(rows);
        for (var r = 0; r < rows.Length / 3; r++) Assert.Equal(1, rows.AsSpan(r * 3, 3).ToArray().Sum(), 5);
        var regression = ClassifierFolder.AddHead(RobertaTests.WriteFromBertTiny(Path.Combine(_dir, "regression"), "roberta"), ["score"], "regression");
        using var value = ModelLoader.Load(regression);
        Assert.Equal(ClassificationProblem.Regression, value.Classifier!.Problem);
        var raw = value.Classifier.Scores(value.RequireEncoder().EncodeMany([[0, 7, 9, 2]]));
        var kept = raw.ToArray();
        value.Classifier.ToProbabilities(kept);
        Assert.Equal(raw, kept);
    }

    private string Convert(string folder, string type, string name)
    {
        var output = Path.Combine(_dir, $"{name}.{type}.gguf");
        using var input = new EncoderGgufInput(folder);
        GgufQuantizer.Quantize(input, output, QuantizationMix.Find(type)!, null, WorkerPool.Shared);
        return output;
    }

    [Theory]
    [InlineData("bert")]
    [InlineData("xlm-roberta")]
    public void GgufScoresAsTheFolder(string modelType)
    {
        var folder = modelType == "bert" ? Bert("LABEL_0") : Roberta(modelType, "LABEL_0");
        var path = Convert(folder, "F32", modelType);
        using (var file = GgufFile.Open(path))
        {
            Assert.Equal(["LABEL_0"], file.Metadata.GetArray<string>("bert.classifier.output_labels"));
            Assert.Equal(4, file.Metadata.GetInt32("bert.pooling_type"));
            Assert.Equal([64L, 64L], file.Find("cls.weight")!.Shape);
            Assert.Equal([1L, 64L], file.Find("cls.output.weight")!.Shape);
            Assert.NotNull(file.Find("cls.output.bias"));
        }
        using var hf = ModelLoader.Load(folder);
        using var gguf = ModelLoader.Load(path);
        var pairs = Encode(hf);
        var fromGguf = Encode(gguf);
        for (var i = 0; i < Pairs.Length; i++)
        {
            Assert.Equal(pairs.Ids[i], fromGguf.Ids[i]);
            Assert.Equal(pairs.Types[i], fromGguf.Types[i]);
        }
        Assert.True(LogitErrors.RelativeMax(Scores(hf, pairs), Scores(gguf, pairs)) <= 1e-5, "F32");
        using var q8 = ModelLoader.Load(Convert(folder, "Q8_0", modelType));
        Assert.True(LogitErrors.RelativeMax(Scores(hf, pairs), Scores(q8, pairs)) <= 0.05, "Q8_0");
    }

    // llama.cpp's converter drops BERT's pooler, and llama-quantize writes a one-label projection as a vector: such a file scores
    // as llama.cpp does, the projection straight on the [CLS] state.
    [Fact]
    public void GgufWithoutThePoolerScoresAsLlamaCpp()
    {
        var folder = Bert("LABEL_0");
        var path = Convert(folder, "F32", "bert");
        var noDense = GgufCopy.Write(GgufCopy.Write(path, Path.Combine(_dir, "a.gguf"), drop: "cls.weight"), Path.Combine(_dir, "b.gguf"), drop: "cls.bias",
            reshape: name => name == "cls.output.weight" ? [64] : null);
        using var model = ModelLoader.Load(noDense);
        Assert.False(model.Classifier!.HasDense);
        var pairs = Encode(model);
        using var tensors = SafetensorsFile.Open(Path.Combine(folder, "model.safetensors"));
        var reference = new EncoderReference(tensors, EncoderLayout.HfBert(), 4, 1e-12);
        Assert.True(LogitErrors.RelativeMax(Reference(reference, pairs, null, "classifier"), Scores(model, pairs)) <= 1e-4);
    }

    [Fact]
    public void BadHeadsAreNamed()
    {
        var folder = Bert("LABEL_0", "LABEL_1");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!.AsObject();
        void Rewrite(Action<JsonObject> change)
        {
            var copy = config.DeepClone().AsObject();
            change(copy);
            File.WriteAllText(Path.Combine(folder, "config.json"), copy.ToJsonString());
        }
        Rewrite(c => c["id2label"] = new JsonObject { ["0"] = "only" });
        var e = Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder));
        Assert.Contains("classifier.weight", e.Message);
        Assert.Contains("2 labels", e.Message);
        Rewrite(c => c["problem_type"] = "ranking");
        Assert.Contains("problem_type", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder)).Message);
        Rewrite(c => c["id2label"] = new JsonObject { ["0"] = "a", ["2"] = "b" });
        Assert.Contains("id2label", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder)).Message);
        Rewrite(c => c["model_type"] = "nomic_bert");
        Assert.Contains("BertForSequenceClassification", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder)).Message);
        Rewrite(_ => { });
        var gguf = Convert(folder, "F32", "two");
        var missing = GgufCopy.Write(gguf, Path.Combine(_dir, "missing.gguf"), drop: "cls.output.weight");
        Assert.Contains("cls.output.weight", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(missing)).Message);
        using var model = ModelLoader.Load(folder);
        Assert.Contains("token type 2", Assert.Throws<MoxingException>(() => model.RequireEncoder().EncodeMany([[2, 3]], [[0, 2]])).Message);
    }

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
