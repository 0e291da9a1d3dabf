using Moxing.Server.Data;

namespace Moxing.Cli.Store;

/// <summary>The key and usage database a command uses: --database URL, else $MOXING_DATABASE, else moxing.db in the Moxing home.</summary>
public static class DatabaseArguments
{
    /// <summary>Usage lines of --database and --home.</summary>
    public const string Usage = """
          --database URL  the key and usage database: postgres://user:password@host:port/db or sqlite:PATH
                          (default: $MOXING_DATABASE, else moxing.db in the home)
          --home DIR      the Moxing home (default: $MOXING_HOME, else ~/.moxing)
        """;

    /// <summary>The database URL --database or $MOXING_DATABASE names; null: the default SQLite file.</summary>
    public static string? Url(Arguments args) =>
        args.Option("database") ?? (Environment.GetEnvironmentVariable("MOXING_DATABASE") is { Length: > 0 } url ? url : null);

    /// <summary>Opens the database the arguments name (reads --database and --home).</summary>
    public static MoxingDatabase Open(Arguments args) => MoxingDatabase.Open(Url(args), StoreArguments.Home(args));
}
