namespace Moxing.Training.Metrics;

/// <summary>PNG charts of a run's curves: loss per epoch, and the headline metric per epoch (ScottPlot).</summary>
public static class CurvePlot
{
    /// <summary>Writes loss.png and METRIC.png into <paramref name="folder"/>; returns the paths written.</summary>
    public static string[] Write(RunMetrics metrics, string folder, int width = 640, int height = 400)
    {
        var written = new List<string>();
        var loss = Path.Combine(folder, "loss.png");
        Chart("loss", metrics.Epochs.Select(e => (double?)e.TrainLoss), metrics.Epochs.Select(e => e.ValidationLoss), metrics, loss, width, height);
        written.Add(loss);
        if (metrics.Epochs.Any(e => e.TrainMetric != null || e.ValidationMetric != null))
        {
            var metric = Path.Combine(folder, metrics.MetricName + ".png");
            Chart(metrics.MetricName, metrics.Epochs.Select(e => e.TrainMetric), metrics.Epochs.Select(e => e.ValidationMetric), metrics, metric, width, height);
            written.Add(metric);
        }
        return written.ToArray();
    }

    private static void Chart(string name, IEnumerable<double?> train, IEnumerable<double?> validation, RunMetrics metrics, string path, int width, int height)
    {
        var plot = new ScottPlot.Plot();
        var epochs = metrics.Epochs.Select(e => (double)e.Epoch).ToArray();
        Series(plot, epochs, train.ToArray(), "train");
        Series(plot, epochs, validation.ToArray(), "validation");
        plot.Title($"{name} per epoch");
        plot.XLabel("epoch");
        plot.YLabel(name);
        plot.ShowLegend();
        plot.SavePng(path, width, height);
    }

    private static void Series(ScottPlot.Plot plot, double[] epochs, double?[] values, string label)
    {
        var xs = new List<double>();
        var ys = new List<double>();
        for (var i = 0; i < values.Length; i++)
            if (values[i] is { } v && double.IsFinite(v)) { xs.Add(epochs[i]); ys.Add(v); }
        if (xs.Count == 0) return;
        var scatter = plot.Add.Scatter(xs.ToArray(), ys.ToArray());
        scatter.LegendText = label;
    }
}
