using System.Globalization;
using Moxing.Training.Distillation;
using Moxing.Training.Pruning;
using Moxing.Training.Trainer;

namespace Moxing.Cli.Commands;

/// <summary>`moxing prune RUN_DIR|HF_FOLDER -o OUT --sparsity 0.5 [--pattern 2:4] [--scope global] [--heads K] [--channels F]`.</summary>
public sealed class PruneCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "prune";

    /// <inheritdoc />
    public string Summary => "prune a trained run or a decoder LLM folder: magnitude (unstructured, N:M) and heads/channels removal";

    /// <inheritdoc />
    public string Usage => """
        usage: moxing prune RUN_DIR|HF_FOLDER -o OUT [--sparsity 0.5] [--pattern unstructured|2:4|N:M] [--scope layer|global]
                            [--heads K] [--channels F]
          RUN_DIR     a folder written by moxing train: OUT is a run folder (with masks.safetensors when weights are
                      zeroed); fine-tune it with moxing train --init OUT -o TUNED (or --resume OUT --epochs N); the masks
                      keep pruned weights at zero, removed heads/channels are gone from the recipe and weights
          HF_FOLDER   a Llama/Qwen-style safetensors folder (F32/F16/BF16): OUT is a smaller folder Moxing loads
          --sparsity  fraction of Linear/Conv (layer projection) weights zeroed by smallest magnitude
          --pattern   unstructured (default) or N:M: keep the N largest of every M consecutive weights of a row
          --scope     layer: every tensor gets the sparsity (default); global: one threshold over all tensors
          --heads     remove K attention heads per layer (lowest L2 of their o_proj / out_proj columns): HF folders
                      (with grouped-query attention a multiple of the key/value head count), gpt and transformer runs
          --channels  remove F MLP channels per layer (lowest L2 of their down_proj / linear2 column): HF folders,
                      gpt and transformer runs (feed-forward), mlp runs (hidden units of every hidden layer)
          --json      the report as JSON
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "json" };

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var source = args.Required(0, "RUN_DIR|HF_FOLDER");
        var output = args.Option("o", "output") ?? throw new UsageException("-o OUT is required");
        var pattern = SparsityPattern.Parse(args.Option("pattern") ?? "unstructured");
        var sparsity = args.Float((float)pattern.ImpliedSparsity, "sparsity");
        var scope = (args.Option("scope") ?? "layer").ToLowerInvariant() switch
        {
            "layer" => PruningScope.Layer,
            "global" => PruningScope.Global,
            var s => throw new UsageException($"--scope must be layer or global, got '{s}'"),
        };
        var options = new PruneOptions(pattern.IsUnstructured ? sparsity : 0, pattern, scope, args.Int(0, "heads"), args.Int(0, "channels"));
        var json = args.Flag("json");
        args.RejectUnknown();
        if (!pattern.IsUnstructured && Math.Abs(sparsity - pattern.ImpliedSparsity) > 1e-6)
            throw new UsageException($"--pattern {pattern} fixes the sparsity at {pattern.ImpliedSparsity:0.###}; leave out --sparsity");
        if (options.Heads < 0 || options.Channels < 0) throw new UsageException("--heads and --channels must not be negative");
        if (!options.Magnitude && !options.Structured) throw new UsageException("give --sparsity, --pattern N:M, --heads or --channels");
        if (!Directory.Exists(source)) throw new UsageException($"{source}: no such run folder or model folder");
        var run = Teachers.IsRun(source);
        var report = run ? RunFolderPruner.Prune(source, output, options) : HfFolderPruner.Prune(source, output, options);
        if (json) WriteJson(report, context);
        else Describe(report, context);
        if (run && !json)
        {
            var test = TrainingRun.Evaluate(output, "test", context.Cancellation);
            context.Out.WriteLine($"pruned model on the test split: {EvalCommand.Describe(test)}");
            context.Out.WriteLine($"fine-tune with: moxing train --init {output} -o {output}-tuned --epochs N");
        }
        return 0;
    }

    private static void Describe(PruningReport report, CommandContext context)
    {
        var c = CultureInfo.InvariantCulture;
        var rows = report.Tensors.Select(t => new[]
        {
            t.Name, $"[{string.Join(", ", t.ShapeBefore)}]", $"[{string.Join(", ", t.ShapeAfter)}]", t.Sparsity.ToString("P1", c),
        }).ToList();
        TextTable.Write(context.Out, ["tensor", "shape before", "shape after", "sparsity"], rows);
        foreach (var note in report.Notes) context.Out.WriteLine(note);
        var zeros = report.Tensors.Any(t => t.Zeros > 0) ? string.Create(c, $"; pruned tensors {report.OverallSparsity:P1} zeros") : "";
        context.Out.WriteLine(string.Create(c,
            $"parameters {report.ParametersBefore:N0} → {report.ParametersAfter:N0} ({report.NonZeroAfter:N0} non-zero){zeros}; weights {HumanUnits.Bytes(report.BytesBefore)} → {HumanUnits.Bytes(report.BytesAfter)}"));
    }

    private static void WriteJson(PruningReport report, CommandContext context) => JsonOutput.Write(context.Out, w =>
    {
        w.WriteStartObject();
        w.WriteNumber("parameters_before", report.ParametersBefore);
        w.WriteNumber("parameters_after", report.ParametersAfter);
        w.WriteNumber("non_zero_after", report.NonZeroAfter);
        w.WriteNumber("bytes_before", report.BytesBefore);
        w.WriteNumber("bytes_after", report.BytesAfter);
        w.WriteNumber("sparsity", report.OverallSparsity);
        w.WriteStartArray("tensors");
        foreach (var t in report.Tensors)
        {
            w.WriteStartObject();
            w.WriteString("name", t.Name);
            w.Numbers("shape_before", Array.ConvertAll(t.ShapeBefore, d => (int)d));
            w.Numbers("shape_after", Array.ConvertAll(t.ShapeAfter, d => (int)d));
            w.WriteNumber("sparsity", t.Sparsity);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("notes");
        foreach (var n in report.Notes) w.WriteStringValue(n);
        w.WriteEndArray();
        w.WriteEndObject();
    });
}
