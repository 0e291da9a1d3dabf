using Moxing.Cli.Store;
using Moxing.Server.Store;
using Moxing.Server.Store.Hub;
using Moxing.Server.Store.Registry;
using Spectre.Console;

namespace Moxing.Cli.Commands;

/// <summary>`moxing pull NAME | hf:ORG/REPO[:FILE.gguf | :QUANT]`: downloads a model from an Ollama registry or the Hugging Face Hub (or a mirror) into the store.</summary>
public sealed class PullCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "pull";

    /// <inheritdoc />
    public string Summary => "download a model by its Ollama name or from the Hugging Face Hub into the store (resumable)";

    /// <inheritdoc />
    public string Usage => $"""
        usage: moxing pull [ollama:][HOST/][NAMESPACE/]MODEL[:TAG] [--name NAME[:TAG]] [--endpoint URL] [--home DIR]
               moxing pull hf:ORG/REPO[:FILE.gguf | :QUANT] [--name NAME[:TAG]] [--revision REV] [--endpoint URL] [--home DIR]
          MODEL[:TAG]   a model of an Ollama registry, as `ollama pull` takes it (qwen2.5:0.5b, someone/model:tag); stored
                        under that name with its parameters (stop, temperature, num_ctx, …) and system prompt as defaults
          :FILE.gguf    that GGUF file of the Hub repository
          :QUANT        the GGUF whose name contains QUANT (e.g. Q4_K_M), case-insensitive
                        (no suffix: the repository's only GGUF, or a transformers model's config, tokenizer and safetensors)
          --name        the store name (default: the Ollama name; for the Hub org/repo tagged with the quantization or file name)
          --revision    branch, tag or commit of a Hub repository (default main)
          --endpoint    registry, Hub or mirror URL (default for Ollama names: the name's host, else ${OllamaReference.RegistryVariable},
                        else https://registry.ollama.ai; for the Hub: $HF_ENDPOINT, else https://huggingface.co)
        {StoreArguments.HomeUsage}
        HF_TOKEN, when set, is sent as a bearer token to the Hub. An interrupted pull keeps its partial
        download: run it again to resume. Ctrl+C cancels.
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string>();

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var reference = args.Required(0, "MODEL[:TAG] or hf:ORG/REPO");
        var options = new PullOptions
        {
            Name = args.Option("name"),
            Endpoint = args.Option("endpoint"),
            Revision = args.Option("revision") ?? "main",
        };
        if (!HubReference.IsHubReference(reference) && options.Revision != "main")
            throw new UsageException("--revision applies to Hub repositories (hf:ORG/REPO); an Ollama name picks its version by its tag");
        var store = StoreArguments.Open(args);
        args.RejectUnknown();
        if (args.Positionals.Count > 1) throw new UsageException($"unexpected argument '{args.Positionals[1]}'");
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(context.Error) });
        var notices = new List<string>();
        StoreEntry entry;
        try
        {
            // A terminal gets live bars; a log or pipe gets one line per step.
            entry = console.Profile.Capabilities.Interactive
                ? console.Progress()
                    .AutoClear(false)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(),
                        new TransferSpeedColumn(), new RemainingTimeColumn())
                    .StartAsync(ctx => store.PullAsync(reference, options, new PullBars(ctx, notices), context.Cancellation))
                    .GetAwaiter().GetResult()
                : store.PullAsync(reference, options, new PullLines(context.Error), context.Cancellation).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            context.Error.WriteLine("pull cancelled; the partial download is kept: run the same pull again to resume");
            throw;
        }
        foreach (var notice in notices) context.Error.WriteLine("note: " + notice);
        context.Out.WriteLine($"pulled {entry.Name} ({StoreTable.Summary(entry)})");
        return 0;
    }

    // One bar per file; the short steps around the downloads need none; notices are kept for after the bars.
    private sealed class PullBars(ProgressContext context, List<string> notices) : IProgress<PullProgress>
    {
        private readonly Dictionary<string, ProgressTask> _tasks = new(StringComparer.Ordinal);
        private readonly Lock _lock = new();

        public void Report(PullProgress value)
        {
            if (value.Stage == PullStage.Notice)
                lock (_lock) notices.Add(value.Message!);
            if (value.Stage != PullStage.Downloading) return;
            lock (_lock)
            {
                if (!_tasks.TryGetValue(value.File!, out var task))
                    _tasks[value.File!] = task = context.AddTask(Markup.Escape(value.File!), maxValue: Math.Max(1, value.Total ?? 1));
                if (value.Total is { } total) task.MaxValue = Math.Max(1, total);
                task.Value = value.Completed;
            }
        }
    }

    // One line when a step or file starts.
    private sealed class PullLines(TextWriter output) : IProgress<PullProgress>
    {
        private readonly HashSet<string> _started = new(StringComparer.Ordinal);
        private readonly Lock _lock = new();

        public void Report(PullProgress value)
        {
            lock (_lock)
                if (_started.Add(value.File ?? value.Message ?? value.Stage.ToString()))
                    output.WriteLine(value.Total is { } total && value.Stage == PullStage.Downloading
                        ? $"{Describe(value)} ({HumanUnits.Bytes(total)})"
                        : Describe(value));
        }

        private static string Describe(PullProgress value) => value.Stage switch
        {
            PullStage.Listing => "reading the manifest",
            PullStage.Notice => "note: " + value.Message,
            PullStage.Downloading => value.File!,
            PullStage.Verifying => "checking the model loads",
            PullStage.Writing => "registering",
            _ => "done",
        };
    }
}
