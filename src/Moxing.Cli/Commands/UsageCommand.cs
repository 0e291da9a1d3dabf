using System.Globalization;
using Moxing.Cli.Store;
using Moxing.Server.Data;
using Moxing.Server.Metering;

namespace Moxing.Cli.Commands;

/// <summary>`moxing usage`: metered requests per tenant and model from $MOXING_HOME, as a summary or CSV.</summary>
public sealed class UsageCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "usage";

    /// <inheritdoc />
    public string Summary => "report metered usage per tenant and model (or every request as CSV)";

    /// <inheritdoc />
    public string Usage => $"""
        usage: moxing usage [--tenant T] [--key ID] [--model M] [--since DATE] [--until DATE] [--csv]
        {DatabaseArguments.Usage}
          summary per tenant and model: requests, prompt/cached/completion tokens, errors; --csv: one row per request
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "csv" };

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var query = new UsageQuery(args.Option("tenant"), args.Option("key"), args.Option("model"), Date(args, "since"), Date(args, "until"));
        var csv = args.Flag("csv");
        var url = DatabaseArguments.Url(args);
        var home = StoreArguments.Home(args);
        args.RejectUnknown();
        var rows = new UsageStore(MoxingDatabase.Open(url, home)).Query(query);
        if (csv)
        {
            UsageStore.WriteCsv(rows, context.Out);
            return 0;
        }
        context.Out.WriteLine($"{"TENANT",-20} {"MODEL",-28} {"REQUESTS",8} {"PROMPT",10} {"CACHED",10} {"COMPLETION",10} {"ERRORS",6}");
        foreach (var g in rows.GroupBy(r => (r.Tenant ?? "(open)", r.Model)).OrderBy(g => g.Key))
            context.Out.WriteLine($"{g.Key.Item1,-20} {g.Key.Model,-28} {g.Count(),8} {g.Sum(r => (long)r.PromptTokens),10} {g.Sum(r => (long)r.CachedTokens),10} {g.Sum(r => (long)r.CompletionTokens),10} {g.Count(r => r.Status >= 400),6}");
        return 0;
    }

    private static DateTimeOffset? Date(Arguments args, string name) => args.Option(name) is { } text
        ? DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : throw new UsageException($"--{name}: '{text}' is not a date")
        : null;
}
