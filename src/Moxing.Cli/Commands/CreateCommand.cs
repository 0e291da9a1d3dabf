using Moxing.Cli.Store;
using Moxing.Core.Quantization.Mixes;
using Moxing.Server.Store;

namespace Moxing.Cli.Commands;

/// <summary>`moxing create NAME -f Modelfile [--quantize TYPE]`: a stored model with its own system prompt, parameters and license, as `ollama create`.</summary>
public sealed class CreateCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "create";

    /// <inheritdoc />
    public string Summary => "create a stored model from a Modelfile (FROM, PARAMETER, SYSTEM, LICENSE), optionally quantized";

    /// <inheritdoc />
    public string Usage => $"""
        usage: moxing create NAME[:TAG] -f Modelfile [--quantize TYPE] [--home DIR]
          -f          the Modelfile: FROM a stored model or a GGUF / Hugging Face folder path (relative to the Modelfile),
                      PARAMETER name value (temperature, top_k, top_p, min_p, stop, num_ctx, num_predict, seed,
                      repeat_penalty, repeat_last_n, presence_penalty, frequency_penalty), SYSTEM and LICENSE
                      (a line or a \"\"\"block\"\"\"); TEMPLATE, ADAPTER and MESSAGE are refused
          --quantize  quantize the FROM model ({string.Join(", ", QuantizationMix.Known.Where(m => !m.RequiresImportance).Select(m => m.Name))})
        {StoreArguments.HomeUsage}
        The values become the model's defaults on every endpoint (a request's own values win); FROM a stored model shares its files.
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string>();

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var name = args.Required(0, "NAME");
        var path = args.Option("f") ?? throw new UsageException("-f Modelfile is required");
        var quantize = args.Option("quantize");
        var store = StoreArguments.Open(args);
        args.RejectUnknown();
        if (!ModelName.TryParse(name, out var target)) throw new UsageException($"'{name}' is not a valid model name (name[:tag])");
        var mix = quantize == null ? null : QuantizationMix.Find(quantize) is { RequiresImportance: false } found ? found
            : throw new UsageException($"--quantize: '{quantize}' is not a type this command writes");
        if (!File.Exists(path)) throw new UsageException($"{path}: no such Modelfile");
        var modelfile = Modelfile.Parse(File.ReadAllText(path), path);
        var from = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, modelfile.From);
        var source = modelfile.From;
        if (File.Exists(from) || Directory.Exists(from))
        {
            // a path: imported under the new name first, then given its values (or quantized in place)
            store.Import(from, target.ToString(), copy: false, context.Cancellation);
            source = target.ToString();
        }
        else if (store.TryResolve(source) is null) throw new UsageException($"FROM {modelfile.From}: no such file or folder next to {path}, and no stored model of that name");
        var entry = mix != null
            ? store.CreateQuantized(source, target.ToString(), mix, modelfile.Defaults, modelfile.License,
                (i, n) => context.Error.Write($"\rquantizing to {mix.Name}: tensor {i + 1} of {n}"), context.Cancellation)
            : store.Copy(source, target.ToString(), modelfile.Defaults, modelfile.License);
        if (mix != null) context.Error.WriteLine();
        context.Out.WriteLine($"created {entry.Name} ({StoreTable.Summary(entry)})");
        return 0;
    }
}
