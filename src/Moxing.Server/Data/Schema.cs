using System.Data.Common;

namespace Moxing.Server.Data;

/// <summary>
/// The tables of <see cref="MoxingDatabase"/> as numbered migrations; a database records the ones applied in
/// <c>schema_version</c> and gets the rest, in one transaction, when opened. To change the schema, append a migration;
/// never edit one that has shipped. Statements use the type tokens of <see cref="SqlDialect.Ddl"/>.
/// </summary>
internal static class Schema
{
    public static readonly string[][] Migrations =
    [
        // 1: keys and usage. IF NOT EXISTS: databases made before the version table already hold these tables.
        [
            """
            CREATE TABLE IF NOT EXISTS api_keys (
                id TEXT PRIMARY KEY,
                tenant TEXT NOT NULL,
                salt {blob} NOT NULL,
                hash {blob} NOT NULL,
                limits TEXT NOT NULL,
                admin INTEGER NOT NULL DEFAULT 0,
                created {time} NOT NULL,
                expires {time},
                revoked {time}
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS usage (
                seq {auto_id},
                time {time} NOT NULL,
                request_id TEXT NOT NULL,
                tenant TEXT,
                key_id TEXT,
                model TEXT NOT NULL,
                endpoint TEXT NOT NULL,
                status INTEGER NOT NULL,
                outcome TEXT NOT NULL,
                prompt_tokens INTEGER NOT NULL,
                cached_tokens INTEGER NOT NULL,
                completion_tokens INTEGER NOT NULL,
                queue_ms {real} NOT NULL,
                ttft_ms {real} NOT NULL,
                total_ms {real} NOT NULL,
                prompt_text TEXT,
                completion_text TEXT
            )
            """,
            "CREATE INDEX IF NOT EXISTS usage_tenant_time ON usage (tenant, time)",
            "CREATE INDEX IF NOT EXISTS usage_key_time ON usage (key_id, time)",
        ],
        // 2: tenants' own limits, shared by their keys (a tenant without a row has none).
        [
            """
            CREATE TABLE tenants (
                name TEXT PRIMARY KEY,
                limits TEXT NOT NULL,
                updated {time} NOT NULL
            )
            """,
        ],
        // 3: a tenant's limits (JSON, like a key's) may hold max_context, max_tokens and models. No table changes, but the version
        // makes an older Moxing refuse the database instead of skipping the fields it does not know and serving what they forbid.
        [],
    ];

    /// <summary>The version a database has once every migration is applied.</summary>
    public static int Version => Migrations.Length;

    /// <summary>Applies the migrations <paramref name="c"/>'s database lacks, one transaction for all, under the dialect's lock.</summary>
    public static void Migrate(MoxingDatabase db, DbConnection c)
    {
        using var tx = c.BeginTransaction();
        void Run(string sql, params (string, object?)[] parameters)
        {
            using var command = db.Command(tx, sql, parameters);
            command.ExecuteNonQuery();
        }
        if (db.Dialect.MigrationLock is { } lockStatement) Run(lockStatement);
        Run(db.Dialect.Ddl("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied {time} NOT NULL)"));
        int current;
        using (var command = db.Command(tx, "SELECT COALESCE(MAX(version), 0) FROM schema_version"))
            current = Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        if (current > Version)
            throw new DatabaseException(db.Name, $"its schema is version {current}, newer than this Moxing knows ({Version}): upgrade Moxing");
        for (var v = current + 1; v <= Version; v++)
        {
            foreach (var statement in Migrations[v - 1]) Run(db.Dialect.Ddl(statement));
            Run("INSERT INTO schema_version (version, applied) VALUES (@version, @applied)", ("@version", v), ("@applied", DateTimeOffset.UtcNow));
        }
        tx.Commit();
    }
}
