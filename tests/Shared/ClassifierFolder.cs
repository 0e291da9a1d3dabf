using System.Text.Json.Nodes;
using Moxing.Core.Formats.Safetensors;
using Moxing.Core.Quantization;

namespace Moxing.Tests;

/// <summary>
/// Encoder folders made sequence classifiers (cross-encoder rerankers, text classifiers) as transformers' *ForSequenceClassification
/// saves them: the encoder's tensors under "bert." / "roberta.", a seeded random head (BERT's pooler.dense + classifier, RoBERTa's
/// classifier.dense + classifier.out_proj), architectures and id2label in config.json.
/// </summary>
internal static class ClassifierFolder
{
    /// <summary>bert-tiny (with its WordPiece tokenizer, two token types) copied into <paramref name="folder"/> as a BertForSequenceClassification.</summary>
    public static string FromBertTiny(string folder, params string[] labels)
    {
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(Fixtures.Path("hf", "models", "bert-tiny")).Where(f => !Path.GetFileName(f).StartsWith("reference", StringComparison.Ordinal)))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)), overwrite: true);
        return AddHead(folder, labels);
    }

    /// <summary>Gives the bert, roberta or xlm-roberta <paramref name="folder"/> a random head scoring <paramref name="labels"/>.</summary>
    public static string AddHead(string folder, string[] labels, string? problemType = null, int seed = 7)
    {
        var configPath = Path.Combine(folder, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        var modelType = (string)config["model_type"]!;
        var bert = modelType == "bert";
        var (prefix, dense, output) = bert ? ("bert.", "bert.pooler.dense", "classifier") : ("roberta.", "classifier.dense", "classifier.out_proj");
        config["architectures"] = new JsonArray(modelType switch
        {
            "bert" => "BertForSequenceClassification",
            "roberta" => "RobertaForSequenceClassification",
            _ => "XLMRobertaForSequenceClassification",
        });
        var id2label = new JsonObject();
        for (var i = 0; i < labels.Length; i++) id2label[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = labels[i];
        config["id2label"] = id2label;
        if (problemType != null) config["problem_type"] = problemType;
        File.WriteAllText(configPath, config.ToJsonString());

        var random = new Random(seed);
        float[] Uniform(int count, double scale) => [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale))];
        var path = Path.Combine(folder, "model.safetensors");
        var w = new SafetensorsWriter();
        var h = 0;
        using (var source = SafetensorsFile.Open(path))
            foreach (var t in source.Tensors)
            {
                var values = new float[t.ElementCount];
                Dequantizer.Dequantize(t.Type, t.Bytes, values);
                w.Add(t.Name.StartsWith(prefix, StringComparison.Ordinal) ? t.Name : prefix + t.Name, t.Shape, values);
                if (t.Name.EndsWith("embeddings.word_embeddings.weight", StringComparison.Ordinal)) h = (int)t.Shape[1];
            }
        w.Add(dense + ".weight", [h, h], Uniform(h * h, 0.25));
        w.Add(dense + ".bias", [h], Uniform(h, 0.3));
        w.Add(output + ".weight", [labels.Length, h], Uniform(labels.Length * h, 0.5));
        w.Add(output + ".bias", [labels.Length], Uniform(labels.Length, 0.3));
        w.Write(path);
        return folder;
    }
}
