using Moxing.Cli.Store;

namespace Moxing.Cli.Commands;

/// <summary>`moxing rm NAME...`: removes models from the store and deletes blobs no other model uses.</summary>
public sealed class RemoveCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "rm";

    /// <inheritdoc />
    public string Summary => "remove models from the store (frees blobs no other model uses)";

    /// <inheritdoc />
    public string Usage => $"""
        usage: moxing rm NAME[:TAG]... [--home DIR]
        {StoreArguments.HomeUsage}
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string>();

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        args.Required(0, "NAME");
        var store = StoreArguments.Open(args);
        args.RejectUnknown();
        foreach (var name in args.Positionals)
        {
            var freed = store.Remove(name);
            context.Out.WriteLine($"deleted '{Server.Store.ModelName.Parse(name)}' (freed {HumanUnits.Bytes(freed)})");
        }
        return 0;
    }
}
