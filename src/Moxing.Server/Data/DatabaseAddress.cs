using System.Globalization;
using Npgsql;

namespace Moxing.Server.Data;

/// <summary>
/// Where the key and usage database lives: a SQLite file (the default, <c>moxing.db</c> in the Moxing home, or <c>sqlite:PATH</c>)
/// or a PostgreSQL server (<c>postgres://user:password@host:port/database?sslmode=require</c>, also <c>postgresql://</c>).
/// </summary>
/// <param name="Dialect">The engine.</param>
/// <param name="ConnectionString">The provider's connection string (holds the password: never show it).</param>
/// <param name="Name">How messages name the database: the file, or the URL without its password.</param>
/// <param name="FilePath">The SQLite file; null for a server.</param>
public sealed record DatabaseAddress(SqlDialect Dialect, string ConnectionString, string Name, string? FilePath)
{
    /// <summary>The file name of the default database in a Moxing home.</summary>
    public const string DefaultFileName = "moxing.db";

    /// <summary>The accepted forms, for messages.</summary>
    public const string Forms = "postgres://user:password@host:port/database (or postgresql://…), or sqlite:PATH";

    private static readonly string[] QueryKeys = ["host", "port", "user", "password", "dbname", "sslmode", "connect_timeout", "application_name"];

    /// <summary>The database <paramref name="url"/> names; with none (null or empty), the SQLite file in <paramref name="home"/>.</summary>
    public static DatabaseAddress Resolve(string? url, string home) =>
        string.IsNullOrWhiteSpace(url) ? Sqlite(Path.Combine(home, DefaultFileName)) : Parse(url);

    /// <summary>The SQLite database file at <paramref name="path"/>.</summary>
    public static DatabaseAddress Sqlite(string path)
    {
        var full = Path.GetFullPath(path);
        return new DatabaseAddress(SqliteDialect.Instance, SqliteDialect.ConnectionString(full), full, full);
    }

    /// <summary>Reads a database URL; a malformed one is a <see cref="DatabaseException"/> naming what is wrong.</summary>
    public static DatabaseAddress Parse(string url)
    {
        var text = url.Trim();
        if (text.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            var path = text["sqlite:".Length..];
            if (path.StartsWith("//", StringComparison.Ordinal)) path = path[2..]; // sqlite:///abs/path → /abs/path
            if (path.Length == 0) throw new DatabaseException(url, "a sqlite: address needs a file path, e.g. sqlite:/var/lib/moxing/moxing.db");
            return Sqlite(Uri.UnescapeDataString(path));
        }
        foreach (var scheme in (string[])["postgres://", "postgresql://"])
            if (text.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return Postgres(url, text[scheme.Length..]);
        throw new DatabaseException(Redact(url), $"unknown kind of database address; expected {Forms}");
    }

    // libpq's URL form: [user[:password]@][host][:port][/dbname][?key=value&…], parts percent-encoded.
    private static DatabaseAddress Postgres(string url, string rest)
    {
        var shown = Redact(url);
        var b = new NpgsqlConnectionStringBuilder { Host = "localhost", Port = 5432, ApplicationName = "moxing", Timeout = 15, CommandTimeout = 30 };
        var query = "";
        if (rest.IndexOf('?') is var q and >= 0) (rest, query) = (rest[..q], rest[(q + 1)..]);
        if (rest.IndexOf('/') is var slash and >= 0)
        {
            if (rest[(slash + 1)..] is { Length: > 0 } db) b.Database = Decode(db, shown, "database name");
            rest = rest[..slash];
        }
        if (rest.LastIndexOf('@') is var at and >= 0)
        {
            var user = rest[..at];
            rest = rest[(at + 1)..];
            if (user.IndexOf(':') is var colon and >= 0)
            {
                b.Password = Decode(user[(colon + 1)..], shown, "password");
                user = user[..colon];
            }
            if (user.Length > 0) b.Username = Decode(user, shown, "user name");
        }
        var portText = "";
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']');
            if (close < 0) throw new DatabaseException(shown, "an IPv6 host needs a closing ']'");
            b.Host = rest[1..close];
            portText = rest[(close + 1)..].TrimStart(':');
        }
        else if (rest.Length > 0)
        {
            if (rest.IndexOf(':') is var colon and >= 0) (rest, portText) = (rest[..colon], rest[(colon + 1)..]);
            if (rest.Length > 0) b.Host = Decode(rest, shown, "host");
        }
        if (portText.Length > 0) b.Port = Port(portText, shown);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = eq < 0 ? pair : pair[..eq];
            var value = eq < 0 ? "" : Decode(pair[(eq + 1)..], shown, key);
            switch (key)
            {
                case "host": b.Host = value; break; // a socket folder (/var/run/postgresql) or a host name
                case "port": b.Port = Port(value, shown); break;
                case "user": b.Username = value; break;
                case "password": b.Password = value; break;
                case "dbname": b.Database = value; break;
                case "sslmode": b.SslMode = SslMode(value, shown); break;
                case "connect_timeout": b.Timeout = Seconds(value, shown); break;
                case "application_name": b.ApplicationName = value; break;
                default: throw new DatabaseException(shown, $"unknown parameter '{key}'; known: {string.Join(", ", QueryKeys)}");
            }
        }
        var name = $"postgres://{(b.Username is { } u ? Uri.EscapeDataString(u) + "@" : "")}{(b.Host!.Contains(':') ? $"[{b.Host}]" : b.Host)}:{b.Port}/{b.Database ?? b.Username ?? ""}";
        return new DatabaseAddress(PostgresDialect.Instance, b.ConnectionString, name, null);
    }

    /// <summary><paramref name="url"/> with any password replaced by ***, for messages and logs.</summary>
    public static string Redact(string url)
    {
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0) return url;
        var authorityEnd = url.IndexOfAny(['/', '?'], scheme + 3);
        var at = url.LastIndexOf('@', authorityEnd < 0 ? url.Length - 1 : authorityEnd);
        var colon = at < 0 ? -1 : url.IndexOf(':', scheme + 3, at - scheme - 3);
        var redacted = colon < 0 ? url : url[..(colon + 1)] + "***" + url[at..];
        var password = redacted.IndexOf("password=", StringComparison.OrdinalIgnoreCase);
        if (password < 0) return redacted;
        var end = redacted.IndexOf('&', password);
        return redacted[..(password + 9)] + "***" + (end < 0 ? "" : redacted[end..]);
    }

    private static string Decode(string part, string shown, string what)
    {
        try
        {
            return Uri.UnescapeDataString(part);
        }
        catch (UriFormatException)
        {
            throw new DatabaseException(shown, $"the {what} is not valid percent-encoding");
        }
    }

    private static int Port(string text, string shown) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            ? port : throw new DatabaseException(shown, $"the port must be a number from 1 to 65535, got '{text}'");

    private static int Seconds(string text, string shown) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s is >= 0 and <= 1024
            ? s : throw new DatabaseException(shown, $"connect_timeout must be whole seconds from 0 to 1024, got '{text}'");

    private static SslMode SslMode(string text, string shown) => text.ToLowerInvariant() switch
    {
        "disable" => Npgsql.SslMode.Disable,
        "allow" => Npgsql.SslMode.Allow,
        "prefer" => Npgsql.SslMode.Prefer,
        "require" => Npgsql.SslMode.Require,
        "verify-ca" => Npgsql.SslMode.VerifyCA,
        "verify-full" => Npgsql.SslMode.VerifyFull,
        _ => throw new DatabaseException(shown, $"sslmode must be disable, allow, prefer, require, verify-ca or verify-full, got '{text}'"),
    };
}
