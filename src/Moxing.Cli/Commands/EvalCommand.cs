using System.Globalization;
using System.Text;
using Moxing.Core.Quantization.Mixes;
using Moxing.Core.Tensors;
using Moxing.Training.Metrics;
using Moxing.Training.Trainer;

namespace Moxing.Cli.Commands;

/// <summary>`moxing eval RUN_DIR --split test`: scores a trained run's best weights on one of its splits.</summary>
public sealed class EvalCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "eval";

    /// <inheritdoc />
    public string Summary => "evaluate a trained run on its test (or validation/train) split: accuracy, per-class scores, R², perplexity";

    /// <inheritdoc />
    public string Usage => """
        usage: moxing eval RUN_DIR [--split test|validation|train] [--weight-type TYPE] [--json] [--samples N] [--temperature 1.0] [--seed N]
          RUN_DIR   a folder written by moxing train
          --split   which split to score (default test; rebuilt from the run's recipe and seed)
          --weight-type  score with every weight tensor stored as TYPE (F16, Q8_0, Q6_K, Q4_0, …; a mix such as Q4_K_M
                    means its base type, Q4_K) and read back, as the engine stores an LLM's weights; prints their bytes
          --json    the evaluation as JSON (as in metrics.json)
          --samples language models: also print N sampled texts (one per line), at --temperature, from --seed
        """ + TextEvaluation.Usage;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "json" };

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        if (args.Option("text") is { } textPath) return TextEvaluation.Execute(args, context, textPath);
        var folder = args.Required(0, "RUN_DIR");
        var split = args.Option("split") ?? "test";
        var json = args.Flag("json");
        var samples = args.Int(0, "samples");
        var temperature = args.Float(1f, "temperature");
        var seed = args.Int(0, "seed");
        var weightTypeName = args.Option("weight-type");
        args.RejectUnknown();
        if (samples < 0 || temperature <= 0) throw new UsageException("--samples must not be negative and --temperature must be positive");
        DType? weightType = weightTypeName == null ? null
            : QuantizationMix.Find(weightTypeName)?.DefaultType
              ?? throw new UsageException($"--weight-type: unknown type '{weightTypeName}'; known: {string.Join(", ", QuantizationMix.Known.Select(m => m.Name))}");
        var score = TrainingRun.Score(folder, split, weightType, context.Cancellation);
        var evaluation = score.Evaluation;
        if (json)
        {
            var node = RunMetrics.ToJson(evaluation);
            node["weight_type"] = (weightType ?? DType.F32).ToString();
            node["weight_bytes"] = score.WeightBytes;
            node["examples_per_second"] = score.ExamplesPerSecond;
            context.Out.WriteLine(node.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            context.Out.Write(Report(evaluation));
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"weights {(weightType ?? DType.F32)}: {score.WeightBytes:N0} bytes; {score.ExamplesPerSecond:F0} examples/s"));
        }
        if (samples > 0)
        {
            context.Out.WriteLine("samples:");
            foreach (var text in TrainingRun.Sample(folder, samples, temperature, seed: seed)) context.Out.WriteLine("  " + text);
        }
        return 0;
    }

    /// <summary>One line: split, examples, loss and the task's metrics.</summary>
    public static string Describe(Evaluation e)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder(string.Create(c, $"{e.Split}: {e.Examples} examples, loss {e.Loss:F4}"));
        if (e.Classification is { } k) sb.Append(c, $", accuracy {k.Accuracy:P2}, macro F1 {k.MacroF1:F4}");
        if (e.Regression is { } r) sb.Append(c, $", R² {r.R2:F4}, MSE {r.MeanSquaredError:G5}, MAE {r.MeanAbsoluteError:G5}");
        if (e.Perplexity is { } p) sb.Append(c, $", perplexity {p:F3}");
        return sb.ToString();
    }

    private static string Report(Evaluation e)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder(Describe(e)).Append('\n');
        if (e.Classification is not { } k) return sb.ToString();
        var width = Math.Max(5, k.ClassNames.Max(n => n.Length));
        sb.Append(c, $"{"class".PadRight(width)}  precision  recall     f1  support\n");
        foreach (var s in k.Classes)
            sb.Append(c, $"{s.Name.PadRight(width)}  {s.Precision,9:F4}  {s.Recall,6:F4}  {s.F1,5:F4}  {s.Support,7}\n");
        sb.Append("confusion matrix (rows: true class, columns: predicted)\n");
        for (var i = 0; i < k.ClassNames.Count; i++)
        {
            sb.Append(k.ClassNames[i].PadRight(width));
            for (var j = 0; j < k.ClassNames.Count; j++) sb.Append(c, $" {k.Confusion[i, j],5}");
            sb.Append('\n');
        }
        return sb.ToString();
    }
}
