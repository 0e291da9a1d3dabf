using Moxing.Cli.Store;
using Moxing.Server.Store;

namespace Moxing.Cli.Commands;

/// <summary>`moxing import PATH [--name N]`: registers a GGUF file, Hugging Face folder, classifier folder or `moxing train` run in the model store.</summary>
public sealed class ImportCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "import";

    /// <inheritdoc />
    public string Summary => "add a GGUF file, Hugging Face model folder or training run to the model store";

    /// <inheritdoc />
    public string Usage => $"""
        usage: moxing import PATH [--name NAME[:TAG]] [--copy] [--mmproj FILE] [--home DIR]
               moxing import RUN_FOLDER --export DIR
          PATH          a .gguf file, a folder with config.json and safetensors weights, or a run folder of
                        `moxing train` (its best weights: a GPT as a GPT-2 folder, a classifier as a classifier folder)
          --name        the store name (default: the file or folder name, lower-cased; tag latest)
          --mmproj FILE the vision projector (llama.cpp's mmproj GGUF) of a GGUF model: stored with it, so the model
                        takes images (a Gemma 3 folder's own vision tower needs none)
          --export DIR  write the model of a run folder to DIR (a GPT-2 or classifier folder) instead of registering it
          --copy        copy the files instead of hard-linking them (hard links take no space, but the store
                        then shares the bytes with PATH: do not edit PATH in place afterwards)
        {StoreArguments.HomeUsage}
        The model is loaded to check it before it is registered.
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "copy" };

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var path = args.Required(0, "PATH");
        var name = args.Option("name");
        var copy = args.Flag("copy");
        var projector = args.Option("mmproj");
        if (args.Option("export") is { } export)
        {
            args.RejectUnknown();
            if (!ModelStore.IsRunFolder(path)) throw new UsageException($"--export takes a run folder of moxing train; {path} is not one");
            var kind = Training.Export.RunExport.Write(path, export);
            context.Out.WriteLine($"exported {path} to {export} ({(kind == Training.Export.ExportKind.LanguageModel ? "Hugging Face GPT-2 folder" : "classifier folder")})");
            return 0;
        }
        var store = StoreArguments.Open(args);
        args.RejectUnknown();
        var entry = ModelStore.IsRunFolder(path) ? store.ImportRun(path, name, context.Cancellation) : store.Import(path, name, copy, context.Cancellation, projector);
        context.Out.WriteLine($"imported {entry.Name} ({StoreTable.Summary(entry)})");
        return 0;
    }
}
