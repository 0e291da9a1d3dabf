using Moxing.Cli.Commands;
using Moxing.Core;

namespace Moxing.Cli;

/// <summary>A subcommand of moxing.</summary>
public interface ICommand
{
    /// <summary>The word that selects it (e.g. "run").</summary>
    string Name { get; }

    /// <summary>One line for `moxing --help`.</summary>
    string Summary { get; }

    /// <summary>Usage and options, shown by `moxing NAME --help`.</summary>
    string Usage { get; }

    /// <summary>Options that take no value.</summary>
    IReadOnlySet<string> Flags { get; }

    /// <summary>Runs the command and returns the exit code.</summary>
    int Execute(Arguments args, CommandContext context);
}

/// <summary>Where a command writes and how it is cancelled (Ctrl+C).</summary>
public sealed record CommandContext(TextWriter Out, TextWriter Error, TextReader In, CancellationToken Cancellation);

/// <summary>Entry point of the moxing command: dispatches to a subcommand.</summary>
public static class CommandLine
{
    /// <summary>Every command, in the order `--help` lists them.</summary>
    public static IReadOnlyList<ICommand> Commands { get; } =
    [
        new RunCommand(), new ShowCommand(), new LogitsCommand(), new GenerateCommand(), new EmbedCommand(), new RerankCommand(),
        new TokenizeCommand(), new DetokenizeCommand(), new TemplateCommand(), new SynthCommand(), new QuantizeCommand(), new ImatrixCommand(), new BenchCommand(),
        new BenchServeCommand(), new ServeCommand(), new PsCommand(), new PullCommand(), new ImportCommand(), new CreateCommand(), new ListCommand(), new RemoveCommand(),
        new TrainCommand(), new PruneCommand(), new DistillCommand(),
        new EvalCommand(), new KeysCommand(), new TenantsCommand(), new UsageCommand(),
    ];

    /// <summary>Runs the command line with the console and Ctrl+C wired up, and returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            if (cts.IsCancellationRequested) return;
            e.Cancel = true;
            cts.Cancel();
        };
        Console.OutputEncoding = System.Text.Encoding.UTF8;
        return Run(args, new CommandContext(Console.Out, Console.Error, Console.In, cts.Token));
    }

    /// <summary>Runs the command line against the given writers (tests use this).</summary>
    public static int Run(string[] args, CommandContext context)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            context.Out.Write(Help());
            return args.Length == 0 ? 1 : 0;
        }
        if (args[0] == "--version")
        {
            context.Out.WriteLine(typeof(CommandLine).Assembly.GetName().Version);
            return 0;
        }
        var command = Commands.FirstOrDefault(c => c.Name == args[0]);
        if (command == null)
        {
            context.Error.WriteLine($"moxing: unknown command '{args[0]}'. Commands: {string.Join(", ", Commands.Select(c => c.Name))}");
            return 1;
        }
        if (args.Skip(1).Any(a => a is "--help" or "-h"))
        {
            context.Out.WriteLine(command.Usage);
            return 0;
        }
        try
        {
            return command.Execute(new Arguments(args.Skip(1), command.Flags), context);
        }
        catch (UsageException e)
        {
            context.Error.WriteLine($"moxing {command.Name}: {e.Message}");
            context.Error.WriteLine(command.Usage);
            return 1;
        }
        catch (OperationCanceledException)
        {
            context.Error.WriteLine("cancelled");
            return 130;
        }
        catch (Exception e) when (e is MoxingException or IOException or UnauthorizedAccessException)
        {
            context.Error.WriteLine($"moxing {command.Name}: {e.Message}");
            return 1;
        }
    }

    private static string Help()
    {
        var w = new StringWriter();
        w.WriteLine("moxing — run, serve, train and compress AI models on the CPU you have.");
        w.WriteLine();
        w.WriteLine("usage: moxing COMMAND [ARGS] [--help]");
        w.WriteLine();
        w.WriteLine("commands:");
        foreach (var c in Commands) w.WriteLine($"  {c.Name,-12} {c.Summary}");
        return w.ToString();
    }
}
