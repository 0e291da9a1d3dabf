using System.Globalization;
using Moxing.Cli.Store;
using Moxing.Server.Tenants;

namespace Moxing.Cli.Commands;

/// <summary>`moxing tenants set|list|remove`: a tenant's own limits, shared by all its keys.</summary>
public sealed class TenantsCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "tenants";

    /// <inheritdoc />
    public string Summary => "set and list tenants' own limits, shared by all their keys (rates, concurrency, request caps, models, weight)";

    /// <inheritdoc />
    public string Usage => $"""
        usage: moxing tenants set T [--rpm N] [--tpm N] [--tokens-per-day N] [--max-concurrent N] [--max-context N]
                                    [--max-tokens N] [--models m1,m2] [--weight W]
               moxing tenants list [--json]
               moxing tenants remove T
        {DatabaseArguments.Usage}
          set changes the limits it is given and keeps the others; `none` clears one (--rpm none, --models none). A request
          must fit both its key's limits and its tenant's (the smaller cap, the models both allow); the refusal names whose
          limit it was. --weight is the tenant's share of a saturated model under fair queuing (default: each key's --weight).
          remove drops the tenant's own limits; its keys keep theirs.
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "json" };

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var action = args.Required(0, "an action: set, list or remove");
        var store = new TenantStore(DatabaseArguments.Open(args));
        switch (action)
        {
            case "set": return Set(args, store, context);
            case "list": return List(args, store, context);
            case "remove":
                var name = args.Required(1, "the tenant whose limits to remove");
                args.RejectUnknown();
                if (!store.Remove(name)) throw new UsageException($"the tenant '{name}' has no limits of its own");
                context.Out.WriteLine($"removed the limits of tenant '{name}'");
                return 0;
            default: throw new UsageException($"unknown action '{action}': use set, list or remove");
        }
    }

    private static int Set(Arguments args, TenantStore store, CommandContext context)
    {
        var name = args.Required(1, "the tenant to set");
        var changes = new List<Func<TenantLimits, TenantLimits>>();
        foreach (var field in TenantLimits.NumberFields)
        {
            var option = field.Replace('_', '-');
            if (args.Option(option) is not { } text) continue;
            double? value = text == "none" ? null
                : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
                : throw new UsageException($"--{option}: '{text}' is not a number (or none)");
            changes.Add(l => l.With(field, value));
        }
        if (args.Option(TenantLimits.ModelsField) is { } models)
        {
            var list = models == "none" ? null : KeysCommand.ModelList(models);
            changes.Add(l => l with { Models = list });
        }
        args.RejectUnknown();
        if (changes.Count == 0) throw new UsageException($"nothing to set: give at least one of {string.Join(", ", TenantLimits.Fields.Select(f => "--" + f.Replace('_', '-')))}");
        TenantRecord record;
        try
        {
            record = store.Set(name, current => changes.Aggregate(current, (l, change) => change(l)));
        }
        catch (ArgumentException x)
        {
            throw new UsageException(x.Message);
        }
        context.Out.WriteLine($"tenant '{name}': {Describe(record.Limits)}");
        return 0;
    }

    private static int List(Arguments args, TenantStore store, CommandContext context)
    {
        var json = args.Flag("json");
        args.RejectUnknown();
        var tenants = store.List();
        if (json)
        {
            JsonOutput.Write(context.Out, w =>
            {
                w.WriteStartArray();
                foreach (var (name, record, keys) in tenants) TenantJson.Write(w, name, record, keys);
                w.WriteEndArray();
            }, indented: true);
            return 0;
        }
        TextTable.Write(context.Out, ["TENANT", "KEYS", "UPDATED", "LIMITS"], tenants.Select(t => new[]
        {
            t.Name, t.ActiveKeys.ToString(CultureInfo.InvariantCulture),
            t.Record?.Updated.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "-", t.Record is { } r ? Describe(r.Limits) : "-",
        }).ToList());
        return 0;
    }

    private static string Describe(TenantLimits l)
    {
        var parts = KeysCommand.LimitParts(l).ToList();
        if (l.Weight is { } w) parts.Add($"weight={w.ToString(CultureInfo.InvariantCulture)}");
        return parts.Count == 0 ? "none" : string.Join(' ', parts);
    }
}
