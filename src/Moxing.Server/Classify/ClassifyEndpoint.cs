using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Moxing.Server.Http;
using Moxing.Server.Metering;
using Moxing.Server.Models;
using Moxing.Text.Tokenization;

namespace Moxing.Server.Classify;

/// <summary>
/// <c>POST /v1/classify</c> <c>{"model", "input": "text" | ["text", …]}</c> → <c>{"data": [{"index", "label", "probabilities": {label: p}}], "usage"}</c>
/// for text classifiers trained by `moxing train` and for encoders with a sequence-classification head (Hugging Face
/// *ForSequenceClassification folders, GGUFs with `cls.output`), whose scores become probabilities as transformers' text-classification
/// pipeline makes them (softmax; a sigmoid for one label or multi-label heads; regression values as they are).
/// </summary>
public sealed class ClassifyEndpoint(ClassifierModels classifiers, ModelManager models)
{
    /// <summary>Most texts per request.</summary>
    public const int MaxInputs = 2048;

    /// <summary>Handles one request.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        var r = await JsonRequest.ReadAsync(context.Request, context.RequestAborted);
        var modelName = r.RequiredString("model");
        var texts = Texts(r.Node("input") ?? throw new ApiException(400, "'input' is required", param: "input", code: "missing_required_parameter"));
        r.String("user");
        r.RejectUnknown();
        if (classifiers.Find(modelName) is not { } classifier)
        {
            await ClassifyWithHeadAsync(context, modelName, texts);
            return;
        }
        if (!classifier.Manifest.IsText)
            throw ApiException.BadParameter("model", $"'{modelName}' classifies {classifier.Manifest.Input} tensors, not text: use POST /v2/models/{modelName}/infer");
        var (probabilities, tokens) = classifier.ClassifyTexts(texts);
        await WriteAsync(context, modelName, classifier.Manifest.Labels, probabilities, texts.Count, tokens);
    }

    // An encoder's head on each text tokenized as one sequence ([CLS] text [SEP]).
    private async Task ClassifyWithHeadAsync(HttpContext context, string modelName, List<string> texts)
    {
        using var lease = await models.AcquireAsync(modelName, null, context.RequestAborted);
        var head = SequenceScores.RequireHead(lease.Resident, "classify text");
        var tokenizer = lease.Resident.Model.RequireTokenizer();
        var inputs = texts.Select(t => tokenizer.Encode(t, addSpecialTokens: true)).Select(ids => new EncodedPair(ids, new int[ids.Length])).ToList();
        var (scores, tokens) = await SequenceScores.ScoreAsync(lease.Resident, head, inputs, "input", MeteredRequest.Of(context), context.RequestAborted);
        head.ToProbabilities(scores);
        await WriteAsync(context, modelName, [.. head.Labels], scores, texts.Count, tokens);
    }

    private static Task WriteAsync(HttpContext context, string modelName, string[] labels, float[] probabilities, int count, int tokens) =>
        JsonStreamWriter.WriteObjectAsync(context, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteString("model", modelName);
            w.WriteStartArray("data");
            for (var i = 0; i < count; i++)
            {
                var row = probabilities.AsSpan(i * labels.Length, labels.Length);
                w.WriteStartObject();
                w.WriteString("object", "classification");
                w.WriteNumber("index", i);
                w.WriteString("label", labels[System.Numerics.Tensors.TensorPrimitives.IndexOfMax(row)]);
                w.WriteStartObject("probabilities");
                for (var c = 0; c < labels.Length; c++) w.WriteNumber(labels[c], row[c]);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            UsageJson.WritePromptOnly(w, tokens);
            w.WriteEndObject();
        });

    private static List<string> Texts(JsonNode input)
    {
        const string expected = "'input' must be a string or a non-empty array of strings";
        if (JsonValues.IsString(input)) return [input.GetValue<string>()];
        if (input is not JsonArray list || list.Count == 0) throw ApiException.BadParameter("input", expected);
        if (list.Count > MaxInputs) throw ApiException.BadParameter("input", $"'input' takes at most {MaxInputs} texts");
        var texts = new List<string>(list.Count);
        foreach (var item in list) texts.Add(JsonValues.IsString(item) ? item!.GetValue<string>() : throw ApiException.BadParameter("input", expected));
        return texts;
    }
}
