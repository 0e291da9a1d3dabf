using Moxing.Server.Data;
using Moxing.Server.Metering;
using Moxing.Server.Tenants;

namespace Moxing.Server.Tests.Data;

/// Opening, migrating and failing, on every backend of <see cref="TestDatabase.Backends"/>.
public sealed class MoxingDatabaseTests
{
    private static long Versions(MoxingDatabase db) => db.ScalarInt64("SELECT COUNT(*) FROM schema_version");

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public void OpeningCreatesTheSchemaOnceAndRecordsItsVersion(string backend)
    {
        using var t = new TestDatabase(backend);
        var db = t.Open();
        Assert.Equal(Schema.Version, db.ScalarInt64("SELECT MAX(version) FROM schema_version"));
        new ApiKeyStore(db).Create("t", new KeyLimits());
        var again = t.Open();
        Assert.Equal(Schema.Version, Versions(again));
        Assert.Single(new ApiKeyStore(again).List());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task ServersOpeningTogetherMigrateOnce(string backend)
    {
        using var t = new TestDatabase(backend);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(t.Open)));
        Assert.Equal(Schema.Version, Versions(t.Open()));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public void ADatabaseFromANewerMoxingIsRefusedByName(string backend)
    {
        using var t = new TestDatabase(backend);
        var db = t.Open();
        db.Execute("INSERT INTO schema_version (version, applied) VALUES (@v, @t)", ("@v", Schema.Version + 1), ("@t", DateTimeOffset.UtcNow));
        var e = Assert.Throws<DatabaseException>(t.Open);
        Assert.Contains($"schema is version {Schema.Version + 1}", e.Message);
        Assert.Contains(db.Name, e.Message);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public void TimesComeBackAsStoredToTheMicrosecond(string backend)
    {
        using var t = new TestDatabase(backend);
        var store = new UsageStore(t.Open());
        var time = new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.FromHours(8)).AddTicks(1234567);
        store.Record(new UsageRecord { Time = time, RequestId = "r", Model = "m", Endpoint = "/e", Status = 200, Outcome = "stop" });
        var read = Assert.Single(store.Query(new UsageQuery(Since: time.AddTicks(-10), Until: time.AddTicks(10)))).Time;
        Assert.Equal(StoredTime.Truncate(time), read);
        Assert.Equal(TimeSpan.Zero, read.Offset);
    }

    [Fact]
    public void ASqliteDatabaseMadeBeforeVersioningIsAdoptedWithItsRows()
    {
        using var t = new TestDatabase(TestDatabase.Sqlite);
        var path = Path.Combine(t.Home, DatabaseAddress.DefaultFileName);
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            c.Open();
            using var create = c.CreateCommand();
            create.CommandText = SqliteDialect.Instance.Ddl(string.Join(";", Schema.Migrations[0]))
                + ";INSERT INTO api_keys (id, tenant, salt, hash, limits, created) VALUES ('old', 't', x'00', x'00', '{}', '2025-01-01T00:00:00.0000000Z')";
            create.ExecuteNonQuery();
        }
        var db = t.Open();
        Assert.Equal(Schema.Version, Versions(db));
        Assert.Equal("old", Assert.Single(new ApiKeyStore(db).List()).Id);
    }

    [Fact]
    public void AnUnwritableSqliteLocationIsADatabaseExceptionNamingTheFile()
    {
        using var t = new TestDatabase(TestDatabase.Sqlite);
        var blocker = Path.Combine(t.Home, "file");
        File.WriteAllText(blocker, "not a folder");
        var e = Assert.Throws<DatabaseException>(() => MoxingDatabase.Open("sqlite:" + Path.Combine(blocker, "moxing.db"), t.Home));
        Assert.Contains(blocker, e.Message);
    }

    [Fact]
    public void AGarbageSqliteFileIsADatabaseExceptionNamingTheFile()
    {
        using var t = new TestDatabase(TestDatabase.Sqlite);
        var path = Path.Combine(t.Home, DatabaseAddress.DefaultFileName);
        File.WriteAllBytes(path, Enumerable.Repeat((byte)0x5A, 8192).ToArray());
        var e = Assert.Throws<DatabaseException>(t.Open);
        Assert.Contains(path, e.Message);
    }
}
