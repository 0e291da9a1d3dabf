using System.Globalization;
using Moxing.Server.Store;
using Moxing.Training.Metrics;
using Moxing.Training.Recipes;
using Moxing.Training.Trainer;
using Spectre.Console;

namespace Moxing.Cli.Commands;

/// <summary>`moxing train RECIPE.yaml` or `moxing train --data FILE --model NAME …`: trains a model into a run folder.</summary>
public sealed class TrainCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "train";

    /// <inheritdoc />
    public string Summary => "train a model from a recipe (YAML) or flags; checkpoints, metrics and plots in a run folder";

    /// <inheritdoc />
    public string Usage => """
        usage: moxing train RECIPE.yaml [-o RUN_DIR] [flags]      (flags override the recipe)
               moxing train --data FILE --model NAME [-o RUN_DIR] [flags]
               moxing train --resume RUN_DIR [--epochs N]
               moxing train --init RUN_DIR [-o RUN_DIR2] [flags]  (fine-tune: RUN_DIR's recipe, weights and pruning masks)
          -o, --output     run folder (default runs/NAME)
          --register NAME  when training finishes, put the model into the model store as NAME (a GPT as a GPT-2
                           folder for chat/completions, a classifier for /v1/classify and /v2/models/NAME/infer)
          --home DIR       the model store of --register (default: $MOXING_HOME, else ~/.moxing)
          --resume         continue the run in RUN_DIR from its last checkpoint
          --init           start a new run from RUN_DIR's best weights (a pruned run keeps its zeros)
          --data           data file: .csv/.tsv table, .jsonl/.csv texts (--format text), .txt corpus, IDX, CIFAR-10 .bin
          --format         table | idx | cifar10 | text | corpus (default from the file name)
          --labels         idx: label file; table: separate targets file
          --label-column   table/text: the label column (default: the last / "label")
          --task           classification | regression (tables)
          --image-shape    C,H,W: read table rows as images (e.g. 1,8,8)
          --scale          divide inputs by this (e.g. 16 for 0..16 pixels)
          --no-normalize   keep inputs as they are (default: standardize with training statistics)
          --tokenizer      chars | words | PATH/tokenizer.json (text, corpus)
          --max-length     tokens per text (text);  --block-size  tokens per window (corpus)
          --model          linear | mlp | lenet | resnet18-cifar | rnn | lstm | gru | transformer | gpt
          --hidden         mlp hidden widths, e.g. 64,32;  --dim, --layers, --heads, --channels, --dropout, --bidirectional
          --epochs, --batch-size, --lr, --optimizer (sgd|rmsprop|adagrad|adam|adamw), --momentum, --nesterov, --weight-decay
          --schedule       none | step | cosine | warmup-cosine | onecycle;  --warmup-steps
          --clip           clip the gradient norm;  --patience  early-stopping epochs;  --seed
          --validation, --test   fractions held out (default 0.1 and 0.2)
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags => RecipeFlags;

    /// <summary>The recipe-overriding options that take no value (shared with `moxing distill`).</summary>
    internal static IReadOnlySet<string> RecipeFlags { get; } = new HashSet<string> { "no-normalize", "bidirectional", "nesterov", "flip" };

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var resume = args.Option("resume");
        var register = args.Option("register");
        var home = args.Option("home");
        var epochsOverride = args.Option("epochs") == null ? (int?)null : args.Int(0, "epochs");
        TrainingRun run;
        if (resume != null)
        {
            args.RejectUnknown();
            if (args.Positionals.Count > 0) throw new UsageException("--resume takes the run folder; give no recipe");
            run = TrainingRun.Resume(resume, epochsOverride);
            context.Out.WriteLine($"resuming {resume} after epoch {run.CompletedEpochs} of {run.Recipe.Training.Epochs}");
        }
        else
        {
            var init = args.Option("init");
            if (init != null && args.Positionals.Count > 0) throw new UsageException("--init takes its recipe from the run folder; give no recipe");
            var recipe = init != null ? RecipeFile.Load(new RunFolder(init).Recipe) : args.Positionals.Count > 0 ? RecipeFile.Load(args.Positionals[0]) : new Recipe();
            if (init != null) recipe.Name += "-tuned";
            ApplyFlags(recipe, args, epochsOverride);
            var output = args.Option("o", "output") ?? Path.Combine("runs", recipe.Name);
            args.RejectUnknown();
            if (string.IsNullOrEmpty(recipe.Data.Path) && recipe.Distillation == null) throw new UsageException("give a RECIPE.yaml or --data FILE");
            run = TrainingRun.Start(recipe, output, init);
        }
        return Run(run, context, register, home);
    }

    /// <summary>Trains <paramref name="run"/> with progress, prints its evaluations and registers it under <paramref name="register"/> when given; 130 when cancelled.</summary>
    internal static int Run(TrainingRun run, CommandContext context, string? register = null, string? home = null)
    {
        var data = run.Data.Splits;
        context.Out.WriteLine($"{run.Recipe.Model.Type}: {run.Model.ParameterCount():N0} parameters; {data.Train.Count} train / {data.Validation.Count} validation / {data.Test.Count} test examples; run folder {run.Folder.Path}");
        var finished = Interactive(context) ? TrainWithProgressBar(run, context) : TrainWithLines(run, context);
        if (!finished)
        {
            context.Error.WriteLine($"stopped; checkpoint of epoch {run.CompletedEpochs} saved — continue with: moxing train --resume {run.Folder.Path}");
            return 130;
        }
        foreach (var evaluation in run.Metrics.Evaluations.Values) context.Out.WriteLine(EvalCommand.Describe(evaluation));
        context.Out.WriteLine($"metrics: {run.Folder.MetricsJson}");
        if (register != null)
        {
            var entry = ModelStore.Open(home).ImportRun(run.Folder.Path, register, context.Cancellation);
            context.Out.WriteLine($"registered {entry.Name} ({entry.Details.Kind.ToString().ToLowerInvariant()}, {entry.Details.Architecture}); serve it with `moxing serve`");
        }
        return 0;
    }

    private static bool Interactive(CommandContext context) => ReferenceEquals(context.Out, Console.Out) && !Console.IsOutputRedirected;

    private static bool TrainWithLines(TrainingRun run, CommandContext context) =>
        run.Train(context.Cancellation, epochFinished: r => context.Out.WriteLine(Describe(r, run.Metrics.MetricName)));

    private static bool TrainWithProgressBar(TrainingRun run, CommandContext context)
    {
        var finished = false;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("training", maxValue: 1);
                finished = run.Train(context.Cancellation,
                    progress: p =>
                    {
                        task.MaxValue = p.Batches;
                        task.Value = p.Batch;
                        var accuracy = p.Accuracy is { } a ? $" acc {a:P1}" : "";
                        task.Description = $"epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F4}{accuracy} {p.SamplesPerSecond:F0}/s";
                    },
                    epochFinished: r => AnsiConsole.MarkupLineInterpolated($"{Describe(r, run.Metrics.MetricName)}"));
            });
        return finished;
    }

    private static string Describe(EpochRecord r, string metric)
    {
        var c = CultureInfo.InvariantCulture;
        var train = r.TrainMetric is { } t ? string.Create(c, $" {metric} {t:F4}") : "";
        var validation = r.ValidationLoss is { } vl ? string.Create(c, $" | validation loss {vl:F4}") + (r.ValidationMetric is { } vm ? string.Create(c, $" {metric} {vm:F4}") : "") : "";
        return string.Create(c, $"epoch {r.Epoch}: loss {r.TrainLoss:F4}{train}{validation} | lr {r.LearningRate:G3} | {r.Seconds:F1}s {r.SamplesPerSecond:F0} samples/s");
    }

    /// <summary>Applies the command-line overrides to <paramref name="recipe"/>.</summary>
    internal static void ApplyFlags(Recipe recipe, Arguments args, int? epochs)
    {
        var d = recipe.Data;
        var m = recipe.Model;
        var t = recipe.Training;
        if (args.Option("data") is { } data) d.Path = data;
        if (args.Option("format") is { } format) d.Format = format;
        if (args.Option("labels") is { } labels) d.Labels = labels;
        if (args.Option("label-column") is { } labelColumn) d.LabelColumn = labelColumn;
        if (args.Option("text-column") is { } textColumn) d.TextColumn = textColumn;
        if (args.Option("task") is { } task) d.Task = task;
        if (args.IntList("image-shape") is { } shape) d.ImageShape = shape;
        d.Scale = args.Float(d.Scale, "scale");
        if (args.Flag("no-normalize")) d.Normalize = false;
        if (args.Flag("flip")) d.Flip = true;
        d.CropPadding = args.Int(d.CropPadding, "crop-padding");
        if (args.Option("tokenizer") is { } tokenizer) d.Tokenizer = tokenizer;
        d.MaxLength = args.Int(d.MaxLength, "max-length");
        d.BlockSize = args.Int(d.BlockSize, "block-size");
        d.VocabularySize = args.Int(d.VocabularySize, "vocab-size");
        d.Validation = args.Float((float)d.Validation, "validation");
        d.Test = args.Float((float)d.Test, "test");
        if (args.Option("model") is { } model) m.Type = model;
        if (args.IntList("hidden") is { } hidden) m.Hidden = hidden;
        m.Dim = args.Int(m.Dim, "dim");
        m.Layers = args.Int(m.Layers, "layers");
        m.Heads = args.Int(m.Heads, "heads");
        m.Channels = args.Int(m.Channels, "channels");
        m.Dropout = args.Float(m.Dropout, "dropout");
        if (args.Flag("bidirectional")) m.Bidirectional = true;
        if (epochs is { } e) t.Epochs = e;
        t.BatchSize = args.Int(t.BatchSize, "batch-size");
        t.LearningRate = args.Float((float)t.LearningRate, "lr", "learning-rate");
        if (args.Option("optimizer") is { } optimizer) t.Optimizer = optimizer;
        t.Momentum = args.Float((float)t.Momentum, "momentum");
        if (args.Flag("nesterov")) t.Nesterov = true;
        t.WeightDecay = args.Float((float)t.WeightDecay, "weight-decay");
        if (args.Option("schedule") is { } schedule) t.Schedule = schedule;
        t.WarmupSteps = args.Int(t.WarmupSteps, "warmup-steps");
        t.ClipGradNorm = args.Float((float)t.ClipGradNorm, "clip");
        t.Patience = args.Int(t.Patience, "patience");
        recipe.Seed = args.Int(recipe.Seed, "seed");
        if (args.Option("name") is { } name) recipe.Name = name;
        else if (args.Positionals.Count == 0 && !string.IsNullOrEmpty(d.Path) && recipe.Name == "run")
            recipe.Name = $"{Path.GetFileNameWithoutExtension(d.Path.Replace(".gz", "", StringComparison.Ordinal))}-{m.Type}";
        if (t.Epochs <= 0 || t.BatchSize <= 0) throw new UsageException("--epochs and --batch-size must be positive");
    }
}
