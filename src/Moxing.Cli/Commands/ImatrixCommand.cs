using System.Diagnostics;
using System.Globalization;
using Moxing.Inference.Evaluation;
using Moxing.Models;
using Spectre.Console;

namespace Moxing.Cli.Commands;

/// <summary>`moxing imatrix MODEL --text FILE -o OUT.gguf`: the importance matrix llama-imatrix computes, for `moxing quantize --imatrix`.</summary>
public sealed class ImatrixCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "imatrix";

    /// <inheritdoc />
    public string Summary => "compute an importance matrix over a text (as llama-imatrix) for quantize --imatrix";

    /// <inheritdoc />
    public string Usage => """
        usage: moxing imatrix MODEL --text FILE [-o imatrix.gguf] [--ctx 512] [--chunks N] [--process-output] [-t N]
          MODEL             a GGUF file or Hugging Face folder of a decoder model
          --text            the calibration text; cut into chunks of --ctx tokens, each starting with BOS when the model adds one
          -o                where to write: .gguf (llama.cpp's imatrix GGUF, the default imatrix.gguf) or any other name for the legacy .dat
          --chunks          use at most N chunks (default: all)
          --process-output  also collect output.weight (llama-imatrix --process-output)
          -t                threads (default: one per core)
        For every weight matrix of the transformer blocks: per input column, the sum of squared activations over all tokens,
        and the token count. Also prints the text's perplexity (second half of each chunk), as llama-imatrix does.
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "process-output" };

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var modelPath = args.Required(0, "MODEL");
        var textPath = args.Option("text") ?? throw new UsageException("--text FILE is required");
        var output = args.Option("o", "output") ?? "imatrix.gguf";
        var ctx = args.Int(512, "ctx", "c");
        var chunks = args.Int(int.MaxValue, "chunks");
        var includeOutput = args.Flag("process-output");
        var threads = args.Int(0, "t", "threads");
        args.RejectUnknown();
        if (ctx < 4) throw new UsageException($"--ctx must be at least 4, got {ctx}");
        if (chunks < 1) throw new UsageException($"--chunks must be at least 1, got {chunks}");
        ThreadOption.SharedPool(threads);
        using var model = ModelLoader.Load(modelPath);
        var decoder = model.RequireDecoder();
        var (tokens, bos) = TextEvaluation.Tokenize(model, textPath);
        var clock = Stopwatch.StartNew();
        var (matrix, score) = Run(context, n => ImportanceEstimator.Compute(decoder, model.GgufName, tokens, bos, ctx, textPath, chunks,
            includeOutput, n, context.Cancellation));
        matrix.Save(output);
        var c = CultureInfo.InvariantCulture;
        context.Out.WriteLine(string.Create(c,
            $"perplexity {score.Perplexity:F4} ± {score.StandardError:F4} ({score.Chunks} chunks of {score.Context})"));
        context.Out.WriteLine(string.Create(c,
            $"wrote {output}: {matrix.Count} matrices, {score.Chunks} chunks of {ctx} tokens, in {clock.Elapsed.TotalSeconds:F1} s"));
        return 0;
    }

    // A progress bar on a terminal, else one line per chunk on stderr.
    private static T Run<T>(CommandContext context, Func<Action<int, int>, T> work)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(context.Error) });
        if (!console.Profile.Capabilities.Interactive)
            return work((i, n) => context.Error.WriteLine($"[{i,4}/{n}] chunks"));
        T result = default!;
        console.Progress().AutoClear(true).Start(ctx =>
        {
            var bar = ctx.AddTask("collecting activations");
            result = work((i, n) =>
            {
                bar.MaxValue = n;
                bar.Value = i;
            });
        });
        return result;
    }
}
