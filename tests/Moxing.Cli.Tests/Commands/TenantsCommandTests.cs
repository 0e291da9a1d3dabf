using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Moxing.Server.Data;
using Moxing.Server.Tenants;

namespace Moxing.Cli.Tests.Commands;

public sealed class TenantsCommandTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("moxing-tenants-cli-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_home, recursive: true);
    }

    [Fact]
    public void SetChangesOnlyTheLimitsGivenListShowsThemAndTheirKeysRemoveDropsThem()
    {
        var (code, output, err) = CliRunner.Run("tenants", "set", "acme", "--rpm", "60", "--tokens-per-day", "1000000", "--weight", "2", "--home", _home);
        Assert.True(code == 0, err);
        Assert.Contains("rpm=60 tokens/day=1000000 weight=2", output);
        (code, output, err) = CliRunner.Run("tenants", "set", "acme", "--rpm", "none", "--max-concurrent", "4", "--home", _home);
        Assert.True(code == 0, err);
        var store = new TenantStore(MoxingDatabase.OpenIn(_home));
        Assert.Equal(new TenantLimits { TokensPerDay = 1_000_000, MaxConcurrent = 4, Weight = 2 }, store.Get("acme")!.Limits);

        Assert.Equal(0, CliRunner.Run("keys", "create", "--tenant", "acme", "--home", _home).Code);
        Assert.Equal(0, CliRunner.Run("keys", "create", "--tenant", "globex", "--home", _home).Code);
        var list = CliRunner.Run("tenants", "list", "--home", _home).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("TENANT", list[0]);
        Assert.Matches(@"^acme\s+1\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+tokens/day=1000000 concurrent=4 weight=2$", list[1]);
        Assert.Matches(@"^globex\s+1\s+-\s+-$", list[2]);
        var json = CliRunner.Json("tenants", "list", "--json", "--home", _home).AsArray();
        Assert.Equal(4, (int)json[0]!["limits"]!["max_concurrent"]!);
        Assert.Equal(new JsonObject().ToJsonString(), json[1]!["limits"]!.ToJsonString());

        Assert.Equal(0, CliRunner.Run("tenants", "remove", "acme", "--home", _home).Code);
        Assert.Null(store.Get("acme"));
    }

    [Theory]
    [InlineData("set", "acme")]
    [InlineData("set", "", "--rpm", "1")]
    [InlineData("set", "acme", "--rpm", "many")]
    [InlineData("set", "acme", "--rpm", "0")]
    [InlineData("set", "acme", "--tpm", "2.5")]
    [InlineData("set", "acme", "--weight", "-1")]
    [InlineData("set", "acme", "--priority", "1")]
    [InlineData("remove", "nobody")]
    [InlineData("rename")]
    public void BadRequestsExitWithOneAndAMessage(params string[] args)
    {
        var (code, _, err) = CliRunner.Run(["tenants", .. args, "--home", _home]);
        Assert.Equal(1, code);
        Assert.False(string.IsNullOrWhiteSpace(err));
    }
}
