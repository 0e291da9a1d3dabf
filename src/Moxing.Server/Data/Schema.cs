namespace Moxing.Server.Data;

/// <summary>The tables of <see cref="MoxingDatabase"/>; every statement is idempotent.</summary>
internal static class Schema
{
    public static readonly string[] Statements =
    [
        """
        CREATE TABLE IF NOT EXISTS api_keys (
            id TEXT PRIMARY KEY,
            tenant TEXT NOT NULL,
            salt BLOB NOT NULL,
            hash BLOB NOT NULL,
            limits TEXT NOT NULL,
            admin INTEGER NOT NULL DEFAULT 0,
            created TEXT NOT NULL,
            expires TEXT,
            revoked TEXT
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS usage (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            time TEXT NOT NULL,
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
            queue_ms REAL NOT NULL,
            ttft_ms REAL NOT NULL,
            total_ms REAL NOT NULL,
            prompt_text TEXT,
            completion_text TEXT
        );
        """,
        "CREATE INDEX IF NOT EXISTS usage_tenant_time ON usage (tenant, time);",
        "CREATE INDEX IF NOT EXISTS usage_key_time ON usage (key_id, time);",
    ];
}
