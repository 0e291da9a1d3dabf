using Moxing.Inference.Generation;
using Moxing.Inference.Sampling;
using Moxing.Inference.Sessions;
using Moxing.Models;

namespace Moxing.Cli.Commands;

/// <summary>`moxing generate MODEL --ids 1,2,3 -n 24 --greedy --ignore-eos`: the generated token ids.</summary>
public sealed class GenerateCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "generate";

    /// <inheritdoc />
    public string Summary => "generate token ids from prompt ids (conformance, --json)";

    /// <inheritdoc />
    public string Usage => """
        usage: moxing generate MODEL --ids 1,2,3 [-n 24] [--ignore-eos] [sampling flags] [--json]
          MODEL          a Hugging Face model folder or a GGUF file
          --ids          prompt token ids, comma-separated
          -n, --tokens   tokens to generate (default 24)
          --ignore-eos   do not stop at end-of-sequence tokens
        """ + SamplingArguments.Help;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "ignore-eos", "greedy", "json" };

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var path = args.Required(0, "MODEL");
        var ids = args.IntList("ids") ?? throw new UsageException("--ids is required");
        var count = args.Int(24, "n", "tokens");
        var ignoreEos = args.Flag("ignore-eos");
        var sampling = SamplingArguments.Read(args);
        args.Flag("json");
        args.RejectUnknown();
        if (ids.Length == 0) throw new UsageException("--ids must list at least one id");
        if (count < 0) throw new UsageException("-n must be ≥ 0");
        using var model = ModelLoader.Load(path);
        var decoder = model.RequireDecoder();
        var session = new InferenceSession(decoder, ids.Length + Math.Max(count, 1));
        var generated = new List<int>(count);
        var limits = new GenerationLimits(count, ignoreEos ? [] : model.EosTokenIds);
        var finish = new TokenGenerator(session, new Sampler(sampling, decoder.Options.VocabSize))
            .Generate(ids, limits, id => { generated.Add(id); return true; }, context.Cancellation);
        JsonOutput.Write(context.Out, w =>
        {
            w.WriteStartObject();
            w.Numbers("ids", generated.ToArray());
            w.WriteString("finish_reason", finish.ToString().ToLowerInvariant());
            w.WriteEndObject();
        });
        return 0;
    }
}
