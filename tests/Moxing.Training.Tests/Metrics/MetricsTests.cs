using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Moxing.Training.Metrics;

namespace Moxing.Training.Tests.Metrics;

public class MetricsTests
{
    [Fact]
    public void ClassificationReportCountsConfusionAndScores()
    {
        // true:      a a a b b c
        // predicted: a a b b c c
        var r = new ClassificationReport([0, 0, 1, 1, 2, 2], [0, 0, 0, 1, 1, 2], ["a", "b", "c"]);
        Assert.Equal(4.0 / 6, r.Accuracy, 12);
        Assert.Equal(2, r.Confusion[0, 0]);
        Assert.Equal(1, r.Confusion[0, 1]);
        Assert.Equal(1, r.Confusion[1, 2]);
        Assert.Equal(1.0, r.Classes[0].Precision);
        Assert.Equal(2.0 / 3, r.Classes[0].Recall, 12);
        Assert.Equal(0.8, r.Classes[0].F1, 12);
        Assert.Equal(0.5, r.Classes[1].Precision);
        Assert.Equal(0.5, r.Classes[2].Precision);
        Assert.Equal(1.0, r.Classes[2].Recall);
        Assert.Equal(3, r.Classes[0].Support);
        Assert.Equal((0.8 + 0.5 + 2.0 / 3) / 3, r.MacroF1, 12);
    }

    [Fact]
    public void RegressionReportMatchesDefinitions()
    {
        var r = new RegressionReport([2.5f, 0f, 2f, 8f], [3f, -0.5f, 2f, 7f]);
        Assert.Equal(0.9486081370449679, r.R2, 6);
        Assert.Equal(0.375, r.MeanSquaredError, 6);
        Assert.Equal(0.5, r.MeanAbsoluteError, 6);
        Assert.Equal(Math.E, Perplexity.FromLoss(1), 12);
    }

    [Fact]
    public void MetricsJsonAndCsvRoundTrip()
    {
        using var dir = new TempFolder();
        var m = new RunMetrics("accuracy");
        m.Epochs.Add(new EpochRecord(1, 0.9, 0.6, 0.8, 0.65, 0.01, 1.5, 1000));
        m.Epochs.Add(new EpochRecord(2, 0.5, 0.8, null, null, 0.005, 1.4, 1100));
        m.Evaluations["test"] = new Evaluation("test", 0.4, 3, new ClassificationReport([0, 1, 1], [0, 1, 0], ["x", "y"]), null, null);
        m.WriteJson(dir.File("metrics.json"));
        m.WriteCsv(dir.File("metrics.csv"));

        var json = JsonNode.Parse(File.ReadAllText(dir.File("metrics.json")))!;
        Assert.Equal(2.0 / 3, (double)json["evaluations"]!["test"]!["accuracy"]!, 12);
        Assert.Equal(1, (long)json["evaluations"]!["test"]!["confusion_matrix"]![0]![1]!);
        var lines = File.ReadAllLines(dir.File("metrics.csv"));
        Assert.Equal("epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,learning_rate,seconds,samples_per_second", lines[0]);
        Assert.Equal("2,0.5,0.8,,,0.005,1.4,1100", lines[2]);

        var loaded = RunMetrics.Load(dir.File("metrics.json"));
        Assert.Equal(m.Epochs, loaded.Epochs);
    }

    [Fact]
    public void CurvePngsDecode()
    {
        using var dir = new TempFolder();
        var m = new RunMetrics("accuracy");
        for (var e = 1; e <= 4; e++) m.Epochs.Add(new EpochRecord(e, 1.0 / e, 1 - 0.5 / e, 1.2 / e, 1 - 0.6 / e, 0.1, 1, 10));
        var files = CurvePlot.Write(m, dir.Path, 320, 200);
        Assert.Equal(["loss.png", "accuracy.png"], files.Select(Path.GetFileName));
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10 }, bytes[..8]);
            Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
            Assert.Equal(320, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
            Assert.Equal(200, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
        }
    }
}
