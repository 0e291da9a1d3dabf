using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Moxing.Server.Data;

/// <summary>SQLite: one file, WAL journal (a committed row survives a killed process; readers never block the writer), times as ISO 8601 text.</summary>
public sealed class SqliteDialect : SqlDialect
{
    /// <summary>The one instance.</summary>
    public static readonly SqliteDialect Instance = new();

    private static readonly Dictionary<string, string> TypeNames = new()
    {
        ["{auto_id}"] = "INTEGER PRIMARY KEY AUTOINCREMENT",
        ["{int64}"] = "INTEGER",
        ["{real}"] = "REAL",
        ["{blob}"] = "BLOB",
        ["{time}"] = "TEXT",
    };

    private SqliteDialect() { }

    /// <inheritdoc />
    public override string Name => "SQLite";

    /// <inheritdoc />
    protected override IReadOnlyDictionary<string, string> Types => TypeNames;

    /// <inheritdoc />
    public override string? MigrationLock => null; // Microsoft.Data.Sqlite begins transactions IMMEDIATE: the write lock is taken at once

    /// <inheritdoc />
    public override DbConnection CreateConnection(string connectionString) => new SqliteConnection(connectionString);

    /// <inheritdoc />
    public override void Prepare(DbConnection connection) => Run(connection, "PRAGMA journal_mode=WAL;");

    // NORMAL in WAL mode: a commit survives a killed process (the OS holds the pages); only power loss can drop the last ones.
    /// <inheritdoc />
    public override void Configure(DbConnection connection) =>
        Run(connection, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;");

    /// <inheritdoc />
    public override object TimeValue(DateTimeOffset time) => StoredTime.Text(StoredTime.Truncate(time));

    /// <inheritdoc />
    public override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => StoredTime.Parse(reader.GetString(ordinal));

    /// <summary>The connection string of the database file at <paramref name="path"/>.</summary>
    public static string ConnectionString(string path) =>
        new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
}
