using ScottPlot;

namespace Moxing.Cli.Benchmarks;

/// <summary>A grouped bar chart of tokens/s: one group per test, one coloured bar (± sd) per saved run.</summary>
internal static class BenchChart
{
    public const int Width = 1000;
    public const int Height = 600;

    public static void SavePng(IReadOnlyList<BenchResult> results, string path)
    {
        var tests = new List<string>();
        var series = new List<string>();
        foreach (var r in results)
        {
            if (!tests.Contains(r.Test)) tests.Add(r.Test);
            if (!series.Contains(r.Series)) series.Add(r.Series);
        }
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var width = 0.8 / series.Count;
        var bars = new List<Bar>();
        foreach (var r in results)
        {
            var s = series.IndexOf(r.Series);
            bars.Add(new Bar
            {
                Position = tests.IndexOf(r.Test) + (s - (series.Count - 1) / 2.0) * width,
                Value = r.TokensPerSecond,
                Error = r.StandardDeviation,
                Size = width * 0.95,
                FillColor = palette.GetColor(s),
            });
        }
        plot.Add.Bars(bars);
        for (var s = 0; s < series.Count; s++)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = series[s], FillColor = palette.GetColor(s) });
        plot.ShowLegend(Alignment.UpperLeft);
        var ticks = new double[tests.Count];
        for (var i = 0; i < ticks.Length; i++) ticks[i] = i;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks, tests.ToArray());
        plot.Axes.Margins(bottom: 0);
        plot.YLabel("tokens/s");
        plot.Title("tokens per second by test");
        plot.SavePng(path, Width, Height);
    }
}
