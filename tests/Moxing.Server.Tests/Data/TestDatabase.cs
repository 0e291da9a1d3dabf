using Microsoft.Data.Sqlite;
using Moxing.Server.Data;

namespace Moxing.Server.Tests.Data;

/// A fresh, empty key and usage database on one backend, plus a Moxing home folder; both removed on dispose.
public sealed class TestDatabase : IDisposable
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    /// The backends every store and HTTP test runs on: SQLite always; PostgreSQL when installed, or when required (then failing if absent).
    public static TheoryData<string> Backends { get; } = WithPostgres ? [Sqlite, Postgres] : [Sqlite];

    /// PostgreSQL tests run: it is installed, or required.
    public static bool WithPostgres => PostgresCluster.BinDirectory != null || PostgresCluster.Required;

    public TestDatabase(string backend)
    {
        Backend = backend;
        Url = backend switch
        {
            Sqlite => null,
            Postgres => PostgresCluster.Shared.CreateDatabase(),
            _ => throw new ArgumentException($"unknown backend {backend}"),
        };
    }

    public string Backend { get; }

    /// The Moxing home (SQLite's moxing.db lives here).
    public string Home { get; } = Directory.CreateTempSubdirectory("moxing-db-").FullName;

    /// The --database URL; null: the default SQLite file in <see cref="Home"/>.
    public string? Url { get; }

    /// Opens (and migrates) the database; each call is another handle on the same data.
    public MoxingDatabase Open() => MoxingDatabase.Open(Url, Home);

    public void Dispose()
    {
        if (Url != null) PostgresCluster.Shared.DropDatabase(Url);
        SqliteConnection.ClearAllPools();
        Directory.Delete(Home, recursive: true);
    }
}
