using Moxing.Server.Data;

namespace Moxing.Server.Tests.Data;

/// What a user sees when the PostgreSQL server is unreachable, refuses the login or lacks the database.
public sealed class PostgresFailureTests
{
    public static TheoryData<string> PostgresOnly { get; } = TestDatabase.WithPostgres ? [TestDatabase.Postgres] : [];

    [Theory]
    [MemberData(nameof(PostgresOnly))]
    public void AWrongPasswordIsADatabaseExceptionThatNamesTheDatabaseNotThePassword(string _)
    {
        var url = PostgresCluster.Shared.Url("postgres", password: "wrong-password");
        var e = Assert.Throws<DatabaseException>(() => MoxingDatabase.Open(url, "/nonexistent"));
        Assert.Contains("password authentication failed", e.Message);
        Assert.Contains($"127.0.0.1:{PostgresCluster.Shared.Port}/postgres", e.Message);
        Assert.DoesNotContain("wrong-password", e.Message);
    }

    [Theory]
    [MemberData(nameof(PostgresOnly))]
    public void AMissingDatabaseIsADatabaseExceptionSayingSo(string _)
    {
        var e = Assert.Throws<DatabaseException>(() => MoxingDatabase.Open(PostgresCluster.Shared.Url("no_such_db"), "/nonexistent"));
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void AnUnreachableServerIsADatabaseExceptionNamingIt()
    {
        var e = Assert.Throws<DatabaseException>(() => MoxingDatabase.Open("postgres://u:pw@127.0.0.1:1/d?connect_timeout=5", "/nonexistent"));
        Assert.Contains("postgres://u@127.0.0.1:1/d", e.Message);
        Assert.Contains("connect", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(PostgresOnly))]
    public void ADatabaseThatGoesAwayMakesStoreCallsDatabaseExceptions(string _)
    {
        var url = PostgresCluster.Shared.CreateDatabase();
        var store = new Moxing.Server.Tenants.ApiKeyStore(MoxingDatabase.Open(url, "/nonexistent"));
        Assert.False(store.Any());
        PostgresCluster.Shared.DropDatabase(url);
        var e = Assert.Throws<DatabaseException>(() => store.Any());
        Assert.Contains("does not exist", e.Message);
    }
}
