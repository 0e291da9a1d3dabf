using Microsoft.Data.Sqlite;

namespace Moxing.Server.Data;

/// <summary>
/// The SQLite database of keys and usage ($MOXING_HOME/moxing.db): WAL journal, so a committed row survives a killed
/// process, and readers never block the writer.
/// </summary>
public sealed class MoxingDatabase
{
    private readonly string _connectionString;

    /// <summary>The database file.</summary>
    public string Path { get; }

    private MoxingDatabase(string path)
    {
        Path = path;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
    }

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/> and brings its schema up to date.</summary>
    public static MoxingDatabase Open(string path)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var db = new MoxingDatabase(path);
        using var c = db.Connect();
        Execute(c, "PRAGMA journal_mode=WAL;");
        foreach (var statement in Schema.Statements) Execute(c, statement);
        return db;
    }

    /// <summary>The database in a Moxing home folder.</summary>
    public static MoxingDatabase OpenIn(string home) => Open(System.IO.Path.Combine(home, "moxing.db"));

    /// <summary>An open connection (pooled); dispose it when done.</summary>
    public SqliteConnection Connect()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        // NORMAL in WAL mode: a commit survives a killed process (the OS holds the pages); only power loss can drop the last ones.
        Execute(c, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;");
        return c;
    }

    /// <summary>A time as stored: fixed-width UTC ISO 8601, so text order is time order in SQL comparisons.</summary>
    public static string TimeText(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Reads a time stored by <see cref="TimeText"/>.</summary>
    public static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal);

    /// <summary>Runs a statement with named parameters ($name → value).</summary>
    public static int Execute(SqliteConnection c, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(c, sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>A command with named parameters bound (null → DBNull).</summary>
    public static SqliteCommand Command(SqliteConnection c, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = c.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }
}
