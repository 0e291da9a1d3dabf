using System.Globalization;
using Moxing.Cli.Store;
using Moxing.Server.Data;
using Moxing.Server.Tenants;

namespace Moxing.Cli.Commands;

/// <summary>`moxing keys create|list|revoke`: API keys of tenants, stored as salted hashes in $MOXING_HOME.</summary>
public sealed class KeysCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "keys";

    /// <inheritdoc />
    public string Summary => "create, list and revoke tenants' API keys (limits, allowed models, expiry)";

    /// <inheritdoc />
    public string Usage => $"""
        usage: moxing keys create --tenant T [--models m1,m2] [--rpm N] [--tpm N] [--tokens-per-day N] [--max-concurrent N]
                                  [--max-context N] [--max-tokens N] [--priority N] [--weight W] [--expires DATE] [--admin]
               moxing keys list [--tenant T] [--json]
               moxing keys revoke ID
        {DatabaseArguments.Usage}
          the key is printed once by create and never stored; revoke takes its public id (mx-ID-…) as `keys list` shows it.
          Once any key exists, `moxing serve` requires one on every endpoint but /health.
          A tenant's own limits, shared by all its keys, are set with `moxing tenants set`.
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "admin", "json" };

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var action = args.Required(0, "an action: create, list or revoke");
        var store = new ApiKeyStore(DatabaseArguments.Open(args));
        switch (action)
        {
            case "create": return Create(args, store, context);
            case "list": return List(args, store, context);
            case "revoke":
                var id = args.Required(1, "the key id to revoke");
                args.RejectUnknown();
                if (!store.Revoke(id)) throw new UsageException($"no key with id '{id}'");
                context.Out.WriteLine($"revoked {id}");
                return 0;
            default: throw new UsageException($"unknown action '{action}': use create, list or revoke");
        }
    }

    private static int Create(Arguments args, ApiKeyStore store, CommandContext context)
    {
        var tenant = args.Option("tenant") ?? throw new UsageException("--tenant is required");
        long? Long(string name) => args.Option(name) is { } v
            ? long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new UsageException($"--{name}: '{v}' is not a whole number")
            : null;
        int? Int(string name) => Long(name) is { } n ? n <= int.MaxValue ? (int)n : throw new UsageException($"--{name}: {n} is too large") : null;
        var limits = new KeyLimits
        {
            RequestsPerMinute = Int("rpm"),
            TokensPerMinute = Int("tpm"),
            TokensPerDay = Long("tokens-per-day"),
            MaxConcurrent = Int("max-concurrent"),
            MaxContext = Int("max-context"),
            MaxTokens = Int("max-tokens"),
            Models = args.Option("models") is { } models ? ModelList(models) : null,
            Priority = args.Int(0, "priority"),
            Weight = args.Float(1, "weight"),
        };
        DateTimeOffset? expires = args.Option("expires") is { } e
            ? DateTimeOffset.TryParse(e, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : throw new UsageException($"--expires: '{e}' is not a date")
            : null;
        var admin = args.Flag("admin");
        args.RejectUnknown();
        CreatedApiKey created;
        try
        {
            created = store.Create(tenant, limits, expires, admin);
        }
        catch (ArgumentException x)
        {
            throw new UsageException(x.Message);
        }
        context.Out.WriteLine(created.Key);
        context.Error.WriteLine($"key {created.Record.Id} for tenant '{tenant}' created; the line above is the only time it is shown.");
        return 0;
    }

    private static int List(Arguments args, ApiKeyStore store, CommandContext context)
    {
        var tenant = args.Option("tenant");
        var json = args.Flag("json");
        args.RejectUnknown();
        var keys = store.List(tenant);
        var now = DateTimeOffset.UtcNow;
        if (json)
        {
            JsonOutput.Write(context.Out, w =>
            {
                w.WriteStartArray();
                foreach (var k in keys) ApiKeyJson.Write(w, k, now);
                w.WriteEndArray();
            }, indented: true);
            return 0;
        }
        context.Out.WriteLine($"{"ID",-14} {"TENANT",-20} {"STATUS",-8} {"CREATED",-20} {"EXPIRES",-20} LIMITS");
        foreach (var k in keys)
            context.Out.WriteLine($"{k.Id,-14} {k.Tenant,-20} {ApiKeyJson.Status(k, now),-8} {k.Created:yyyy-MM-dd HH:mm,-20} {(k.Expires is { } x ? x.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "never"),-20} {Describe(k)}");
        return 0;
    }

    private static string Describe(ApiKeyRecord k)
    {
        var l = k.Limits;
        var parts = new List<string>();
        if (k.Admin) parts.Add("admin");
        parts.AddRange(LimitParts(l));
        if (l.Priority != 0) parts.Add($"priority={l.Priority}");
        if (l.Weight != 1) parts.Add($"weight={l.Weight.ToString(CultureInfo.InvariantCulture)}");
        return parts.Count == 0 ? "-" : string.Join(' ', parts);
    }

    /// <summary>The limits that are set, as `keys list` and `tenants list` show them (rpm=60 tpm=20000 … models=a,b).</summary>
    internal static IEnumerable<string> LimitParts(RequestLimits l)
    {
        if (l.RequestsPerMinute is { } rpm) yield return $"rpm={rpm}";
        if (l.TokensPerMinute is { } tpm) yield return $"tpm={tpm}";
        if (l.TokensPerDay is { } tpd) yield return $"tokens/day={tpd}";
        if (l.MaxConcurrent is { } mc) yield return $"concurrent={mc}";
        if (l.MaxContext is { } ctx) yield return $"context={ctx}";
        if (l.MaxTokens is { } mt) yield return $"max_tokens={mt}";
        if (l.Models != null) yield return $"models={string.Join(',', l.Models)}";
    }

    /// <summary>The model names of a --models option: comma-separated, blanks dropped.</summary>
    internal static IReadOnlyList<string> ModelList(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
