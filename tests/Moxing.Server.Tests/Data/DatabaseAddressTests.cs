using Moxing.Server.Data;
using Npgsql;

namespace Moxing.Server.Tests.Data;

public sealed class DatabaseAddressTests
{
    [Fact]
    public void WithoutAUrlItIsTheSqliteFileInTheHome()
    {
        var a = DatabaseAddress.Resolve(null, "/srv/moxing");
        Assert.Same(SqliteDialect.Instance, a.Dialect);
        Assert.Equal("/srv/moxing/moxing.db", a.FilePath);
        Assert.Equal(a, DatabaseAddress.Resolve(" ", "/srv/moxing"));
    }

    [Theory]
    [InlineData("sqlite:/var/lib/moxing/keys.db", "/var/lib/moxing/keys.db")]
    [InlineData("sqlite:///var/lib/moxing/keys.db", "/var/lib/moxing/keys.db")]
    [InlineData("SQLITE:/tmp/a%20b.db", "/tmp/a b.db")]
    public void SqliteUrlsNameAFile(string url, string path) => Assert.Equal(path, DatabaseAddress.Parse(url).FilePath);

    [Fact]
    public void APostgresUrlBecomesAConnectionStringAndIsShownWithoutItsPassword()
    {
        var a = DatabaseAddress.Parse("postgres://moxing:s%40cret@db.example.com:6543/usage?sslmode=verify-full&connect_timeout=5&application_name=edge");
        Assert.Same(PostgresDialect.Instance, a.Dialect);
        Assert.Null(a.FilePath);
        var b = new NpgsqlConnectionStringBuilder(a.ConnectionString);
        Assert.Equal(("db.example.com", 6543, "usage", "moxing", "s@cret"), (b.Host, b.Port, b.Database, b.Username, b.Password));
        Assert.Equal((SslMode.VerifyFull, 5, "edge"), (b.SslMode, b.Timeout, b.ApplicationName));
        Assert.Equal("postgres://moxing@db.example.com:6543/usage", a.Name);
        Assert.DoesNotContain("cret", a.Name);
    }

    [Theory]
    [InlineData("postgresql://localhost/moxing", "localhost", 5432, "moxing", null)]
    [InlineData("postgres://u@[::1]:5433/d", "::1", 5433, "d", "u")]
    [InlineData("postgres:///d?host=/var/run/postgresql&user=svc", "/var/run/postgresql", 5432, "d", "svc")]
    [InlineData("postgres://u:p@h", "h", 5432, null, "u")]
    public void PostgresUrlsFollowLibpq(string url, string host, int port, string? database, string? user)
    {
        var b = new NpgsqlConnectionStringBuilder(DatabaseAddress.Parse(url).ConnectionString);
        Assert.Equal((host, port, database, user), (b.Host, b.Port, b.Database, b.Username));
    }

    [Theory]
    [InlineData("mysql://u:pw@h/d", "unknown kind of database address")]
    [InlineData("/var/lib/moxing.db", "unknown kind of database address")]
    [InlineData("postgres://u:pw@h:99999/d", "port must be a number")]
    [InlineData("postgres://u:pw@h:abc/d", "port must be a number")]
    [InlineData("postgres://u:pw@h/d?sslmode=maybe", "sslmode must be")]
    [InlineData("postgres://u:pw@h/d?pool=3", "unknown parameter 'pool'")]
    [InlineData("postgres://u:pw@[::1/d", "closing ']'")]
    [InlineData("sqlite:", "needs a file path")]
    public void BadUrlsAreDatabaseExceptionsThatSayWhatIsWrongAndHideThePassword(string url, string problem)
    {
        var e = Assert.Throws<DatabaseException>(() => DatabaseAddress.Parse(url));
        Assert.Contains(problem, e.Message);
        Assert.DoesNotContain("pw", e.Message);
        Assert.StartsWith("database ", e.Message);
    }

    [Theory]
    [InlineData("postgres://u:secret@h:1/d", "postgres://u:***@h:1/d")]
    [InlineData("postgres://h/d?user=u&password=secret&sslmode=require", "postgres://h/d?user=u&password=***&sslmode=require")]
    [InlineData("postgres://u@h/d", "postgres://u@h/d")]
    public void RedactHidesPasswords(string url, string shown) => Assert.Equal(shown, DatabaseAddress.Redact(url));
}
