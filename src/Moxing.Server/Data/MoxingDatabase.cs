using System.Data.Common;
using System.Net.Sockets;

namespace Moxing.Server.Data;

/// <summary>
/// The database of keys and usage: SQLite in $MOXING_HOME by default, or PostgreSQL. One set of store code runs on both through
/// ADO.NET and the <see cref="SqlDialect"/>; SQL names parameters <c>@name</c>. Every failure of the engine surfaces as a
/// <see cref="DatabaseException"/> naming the database. PostgreSQL cannot type a NULL parameter from <c>@p IS NULL</c>: build
/// optional filters with <see cref="SqlFilter"/> instead.
/// </summary>
public sealed class MoxingDatabase
{
    private readonly string _connectionString;

    private MoxingDatabase(DatabaseAddress address)
    {
        Address = address;
        _connectionString = address.ConnectionString;
    }

    /// <summary>Where it is.</summary>
    public DatabaseAddress Address { get; }

    /// <summary>The engine's differences.</summary>
    public SqlDialect Dialect => Address.Dialect;

    /// <summary>How messages name it (file path, or URL without password).</summary>
    public string Name => Address.Name;

    /// <summary>Opens (creating if needed) the database at <paramref name="address"/> and brings its schema up to date.</summary>
    public static MoxingDatabase Open(DatabaseAddress address)
    {
        if (address.FilePath is { } file)
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DatabaseException(address.Name, $"cannot create its folder: {e.Message}", e);
            }
        }
        var db = new MoxingDatabase(address);
        db.Run(() =>
        {
            using var c = db.Dialect.CreateConnection(db._connectionString);
            c.Open();
            db.Dialect.Prepare(c);
            db.Dialect.Configure(c);
            Schema.Migrate(db, c);
            return 0;
        });
        return db;
    }

    /// <summary>Opens the database <paramref name="url"/> names, or with none the SQLite file in <paramref name="home"/>.</summary>
    public static MoxingDatabase Open(string? url, string home) => Open(DatabaseAddress.Resolve(url, home));

    /// <summary>The SQLite database in a Moxing home folder.</summary>
    public static MoxingDatabase OpenIn(string home) => Open(null, home);

    /// <summary>An open connection (pooled) with the engine's per-connection settings; dispose it when done.</summary>
    public DbConnection Connect() => Run(() =>
    {
        var c = Dialect.CreateConnection(_connectionString);
        try
        {
            c.Open();
            Dialect.Configure(c);
            return c;
        }
        catch
        {
            c.Dispose();
            throw;
        }
    });

    /// <summary>Runs a statement on its own connection; returns the rows it changed.</summary>
    public int Execute(string sql, params (string Name, object? Value)[] parameters) => Run(() =>
    {
        using var c = Connect();
        using var command = Command(c, sql, parameters);
        return command.ExecuteNonQuery();
    });

    /// <summary>Runs a query on its own connection and reads every row with <paramref name="row"/>.</summary>
    public List<T> Query<T>(string sql, Func<DbDataReader, T> row, params (string Name, object? Value)[] parameters) => Run(() =>
    {
        using var c = Connect();
        using var command = Command(c, sql, parameters);
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(row(reader));
        return rows;
    });

    /// <summary>The first column of the first row of a query, as a 64-bit integer (counts, sums, EXISTS); 0 for NULL or no row.</summary>
    public long ScalarInt64(string sql, params (string Name, object? Value)[] parameters) => Run(() =>
    {
        using var c = Connect();
        using var command = Command(c, sql, parameters);
        return command.ExecuteScalar() is { } v and not DBNull ? Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture) : 0;
    });

    /// <summary>Runs <paramref name="work"/> in one transaction on one connection, committed when it returns.</summary>
    public T InTransaction<T>(Func<DbTransaction, T> work) => Run(() =>
    {
        using var c = Connect();
        using var tx = c.BeginTransaction();
        var result = work(tx);
        tx.Commit();
        return result;
    });

    /// <summary>A command on <paramref name="c"/> with <c>@name</c> parameters bound (null → DBNull, times → the engine's form).</summary>
    public DbCommand Command(DbConnection c, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = c.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var p = command.CreateParameter();
            p.ParameterName = name;
            p.Value = value switch
            {
                null => DBNull.Value,
                DateTimeOffset t => Dialect.TimeValue(t),
                _ => value,
            };
            command.Parameters.Add(p);
        }
        return command;
    }

    /// <summary>A command inside <paramref name="tx"/>.</summary>
    public DbCommand Command(DbTransaction tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = Command(tx.Connection!, sql, parameters);
        command.Transaction = tx;
        return command;
    }

    /// <summary>Reads a time column.</summary>
    public DateTimeOffset ReadTime(DbDataReader r, int ordinal) => Dialect.ReadTime(r, ordinal);

    /// <summary>Reads a time column that may be NULL.</summary>
    public DateTimeOffset? ReadNullableTime(DbDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : Dialect.ReadTime(r, ordinal);

    // Whatever the engine throws (refused connection, failed login, full disk, timeout) becomes one exception naming this database.
    private T Run<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (Exception e) when (e is DbException or SocketException or TimeoutException)
        {
            throw new DatabaseException(Name, Describe(e), e);
        }
    }

    private static string Describe(Exception e)
    {
        var text = e.Message;
        for (var inner = e.InnerException; inner != null; inner = inner.InnerException)
            if (!text.Contains(inner.Message, StringComparison.Ordinal)) text += ": " + inner.Message;
        return text;
    }
}
