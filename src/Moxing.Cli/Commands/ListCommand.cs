using Moxing.Cli.Store;

namespace Moxing.Cli.Commands;

/// <summary>`moxing list`: the models in the store.</summary>
public sealed class ListCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "list";

    /// <inheritdoc />
    public string Summary => "models in the store: name, id, size, format, modified (--json)";

    /// <inheritdoc />
    public string Usage => $"""
        usage: moxing list [--json] [--home DIR]
          --json        JSON output
        {StoreArguments.HomeUsage}
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "json" };

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var json = args.Flag("json");
        var store = StoreArguments.Open(args);
        args.RejectUnknown();
        var problems = new List<string>();
        var entries = store.List(problems);
        foreach (var problem in problems) context.Error.WriteLine($"moxing list: skipped {problem}");
        if (json)
        {
            JsonOutput.Write(context.Out, w =>
            {
                w.WriteStartArray();
                foreach (var e in entries)
                {
                    w.WriteStartObject();
                    w.WriteString("name", e.Name.ToString());
                    w.WriteString("digest", e.Digest);
                    w.WriteNumber("size", e.Size);
                    w.WriteString("format", StoreTable.Format(e));
                    w.WriteString("architecture", e.Details.Architecture);
                    w.WriteNumber("parameters", e.Details.ParameterCount);
                    w.WriteString("quantization", e.Details.Quantization);
                    w.WriteString("modified", e.Modified);
                    w.WriteString("source", e.Manifest.Source);
                    w.WriteString("path", e.ModelPath);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }, indented: true);
            return 0;
        }
        if (entries.Count == 0)
        {
            context.Out.WriteLine($"no models in {store.Home}; add one with `moxing pull hf:ORG/REPO` or `moxing import PATH`");
            return 0;
        }
        var now = DateTimeOffset.UtcNow;
        var rows = entries.Select(e => new[]
        {
            e.Name.ToString(), StoreTable.ShortId(e), HumanUnits.Bytes(e.Size), StoreTable.Format(e), e.Details.Quantization, StoreTable.Age(e.Modified, now),
        }).ToList();
        TextTable.Write(context.Out, ["NAME", "ID", "SIZE", "FORMAT", "QUANT", "MODIFIED"], rows);
        return 0;
    }
}
