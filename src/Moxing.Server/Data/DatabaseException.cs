using Moxing.Core;

namespace Moxing.Server.Data;

/// <summary>The key and usage database cannot be used (bad address, unreachable server, refused login, broken schema).</summary>
public sealed class DatabaseException(string database, string problem, Exception? inner = null)
    : MoxingException($"database {database}: {problem}", inner)
{
    /// <summary>The database, as shown to users (never with its password).</summary>
    public string Database { get; } = database;
}
