using System.Data.Common;

namespace Moxing.Server.Data;

/// <summary>
/// What differs between the database engines Moxing runs on; everything else (SQL with <c>@name</c> parameters,
/// <c>INSERT … ON CONFLICT … DO UPDATE</c>, <c>RETURNING</c>) is written once and runs on all of them.
/// </summary>
public abstract class SqlDialect
{
    /// <summary>The engine's name, for messages.</summary>
    public abstract string Name { get; }

    /// <summary>Column types for the portable type tokens of <see cref="Schema"/> statements.</summary>
    protected abstract IReadOnlyDictionary<string, string> Types { get; }

    /// <summary>Statement that makes concurrent schema upgrades wait for each other inside a transaction; null: the transaction itself does.</summary>
    public abstract string? MigrationLock { get; }

    /// <summary>A new, unopened connection.</summary>
    public abstract DbConnection CreateConnection(string connectionString);

    /// <summary>Settings for the whole database, applied once when it is opened, outside any transaction.</summary>
    public virtual void Prepare(DbConnection connection) { }

    /// <summary>Settings for each connection, applied every time one is opened.</summary>
    public virtual void Configure(DbConnection connection) { }

    /// <summary>A time as a parameter value of this engine's time column.</summary>
    public abstract object TimeValue(DateTimeOffset time);

    /// <summary>Reads a time column (never null).</summary>
    public abstract DateTimeOffset ReadTime(DbDataReader reader, int ordinal);

    /// <summary>
    /// A DDL statement with its type tokens replaced: <c>{auto_id}</c> (64-bit auto-increment primary key), <c>{int64}</c>,
    /// <c>{real}</c> (double), <c>{blob}</c>, <c>{time}</c>.
    /// </summary>
    public string Ddl(string statement)
    {
        foreach (var (token, type) in Types) statement = statement.Replace(token, type, StringComparison.Ordinal);
        return statement;
    }

    /// <summary>Runs one statement without parameters.</summary>
    protected static void Run(DbConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
