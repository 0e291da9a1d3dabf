using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Moxing.Core;

namespace Moxing.Training.Metrics;

/// <summary>
/// The measurements of a run: one record per epoch and the evaluations of splits, written to metrics.json and
/// metrics.csv in the run folder and read back when a run resumes.
/// </summary>
public sealed class RunMetrics(string metricName)
{
    /// <summary>Name of the headline metric ("accuracy", "r2" or "perplexity").</summary>
    public string MetricName { get; } = metricName;

    /// <summary>Epoch records, in order.</summary>
    public List<EpochRecord> Epochs { get; } = [];

    /// <summary>Evaluations by split name ("test", "validation").</summary>
    public Dictionary<string, Evaluation> Evaluations { get; } = new(StringComparer.Ordinal);

    /// <summary>Writes the epoch table as CSV (one row per epoch; empty cells where a value is absent).</summary>
    public void WriteCsv(string path)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"epoch,train_loss,train_{MetricName},validation_loss,validation_{MetricName},learning_rate,seconds,samples_per_second\n");
        foreach (var e in Epochs)
            sb.AppendJoin(',', [e.Epoch.ToString(CultureInfo.InvariantCulture), Format(e.TrainLoss), Format(e.TrainMetric), Format(e.ValidationLoss),
                Format(e.ValidationMetric), Format(e.LearningRate), Format(e.Seconds), Format(e.SamplesPerSecond)]).Append('\n');
        File.WriteAllText(path, sb.ToString());
    }

    /// <summary>Writes epochs and evaluations (with per-class scores and confusion matrices) as JSON.</summary>
    public void WriteJson(string path)
    {
        var epochs = new JsonArray();
        foreach (var e in Epochs)
            epochs.Add((JsonNode)new JsonObject
            {
                ["epoch"] = e.Epoch,
                ["train_loss"] = e.TrainLoss,
                [$"train_{MetricName}"] = e.TrainMetric,
                ["validation_loss"] = e.ValidationLoss,
                [$"validation_{MetricName}"] = e.ValidationMetric,
                ["learning_rate"] = e.LearningRate,
                ["seconds"] = e.Seconds,
                ["samples_per_second"] = e.SamplesPerSecond,
            });
        var evaluations = new JsonObject();
        foreach (var (split, evaluation) in Evaluations) evaluations[split] = ToJson(evaluation);
        var root = new JsonObject { ["metric"] = MetricName, ["epochs"] = epochs, ["evaluations"] = evaluations };
        File.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Reads the epoch records of a metrics.json written by <see cref="WriteJson"/> (evaluations are recomputed, not read).</summary>
    public static RunMetrics Load(string path)
    {
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            var metrics = new RunMetrics((string)root["metric"]!);
            foreach (var node in root["epochs"]!.AsArray())
            {
                var e = node!.AsObject();
                metrics.Epochs.Add(new EpochRecord((int)e["epoch"]!, (double)e["train_loss"]!, (double?)e[$"train_{metrics.MetricName}"],
                    (double?)e["validation_loss"], (double?)e[$"validation_{metrics.MetricName}"], (double)e["learning_rate"]!,
                    (double)e["seconds"]!, (double)e["samples_per_second"]!));
            }
            return metrics;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new InvalidModelFileException(path, "not a metrics.json written by moxing train: " + e.Message, e);
        }
    }

    /// <summary>The JSON form of one evaluation.</summary>
    public static JsonObject ToJson(Evaluation e)
    {
        var o = new JsonObject { ["split"] = e.Split, ["examples"] = e.Examples, ["loss"] = e.Loss };
        if (e.Classification is { } c)
        {
            o["accuracy"] = c.Accuracy;
            o["macro_f1"] = c.MacroF1;
            var classes = new JsonArray();
            foreach (var s in c.Classes)
                classes.Add((JsonNode)new JsonObject { ["name"] = s.Name, ["precision"] = s.Precision, ["recall"] = s.Recall, ["f1"] = s.F1, ["support"] = s.Support });
            o["classes"] = classes;
            var matrix = new JsonArray();
            for (var i = 0; i < c.ClassNames.Count; i++)
            {
                var row = new JsonArray();
                for (var j = 0; j < c.ClassNames.Count; j++) row.Add((JsonNode)c.Confusion[i, j]);
                matrix.Add((JsonNode)row);
            }
            o["confusion_matrix"] = matrix;
        }
        if (e.Regression is { } r)
        {
            o["r2"] = r.R2;
            o["mse"] = r.MeanSquaredError;
            o["mae"] = r.MeanAbsoluteError;
        }
        if (e.Perplexity is { } p) o["perplexity"] = p;
        return o;
    }

    private static string Format(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "";
}
