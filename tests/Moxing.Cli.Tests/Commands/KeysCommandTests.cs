using Microsoft.Data.Sqlite;
using Moxing.Server.Data;
using Moxing.Server.Metering;
using Moxing.Server.Tenants;

namespace Moxing.Cli.Tests.Commands;

public sealed class KeysCommandTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("moxing-keys-cli-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_home, recursive: true);
    }

    [Fact]
    public void CreateShowsTheKeyOnceListShowsItsLimitsRevokeEndsIt()
    {
        var (code, output, err) = CliRunner.Run("keys", "create", "--tenant", "team-a", "--rpm", "30", "--models", "qwen,llama",
            "--expires", "2099-01-01", "--home", _home);
        Assert.True(code == 0, err);
        var key = output.Trim();
        Assert.StartsWith("mx-", key);
        Assert.Contains("only time", err);
        var store = new ApiKeyStore(MoxingDatabase.OpenIn(_home));
        var (check, record) = store.Check(key);
        Assert.Equal(KeyCheck.Valid, check);

        var list = CliRunner.Run("keys", "list", "--home", _home);
        Assert.Contains(record!.Id, list.Out);
        Assert.Contains("rpm=30", list.Out);
        Assert.Contains("models=qwen,llama", list.Out);
        Assert.DoesNotContain(key, list.Out);

        Assert.Equal(0, CliRunner.Run("keys", "revoke", record.Id, "--home", _home).Code);
        Assert.Equal(KeyCheck.Revoked, store.Check(key).Check);
        Assert.Contains("revoked", CliRunner.Run("keys", "list", "--home", _home).Out);
    }

    [Theory]
    [InlineData("create")]
    [InlineData("create", "--tenant", "t", "--rpm", "zero")]
    [InlineData("create", "--tenant", "t", "--rpm", "0")]
    [InlineData("create", "--tenant", "t", "--expires", "2001-01-01")]
    [InlineData("revoke", "nosuchkey123")]
    [InlineData("rotate")]
    public void BadRequestsExitWithOneAndAMessage(params string[] args)
    {
        var (code, _, err) = CliRunner.Run(["keys", .. args, "--home", _home]);
        Assert.Equal(1, code);
        Assert.False(string.IsNullOrWhiteSpace(err));
    }

    [Fact]
    public void UsageSummarisesPerTenantAndExportsCsv()
    {
        var usage = new UsageStore(MoxingDatabase.OpenIn(_home));
        foreach (var (tenant, prompt) in new[] { ("a", 10), ("a", 5), ("b", 7) })
            usage.Record(new UsageRecord
            {
                Time = DateTimeOffset.UtcNow,
                RequestId = Guid.NewGuid().ToString("n"),
                Tenant = tenant,
                Model = "qwen",
                Endpoint = "/v1/completions",
                Status = 200,
                Outcome = "stop",
                PromptTokens = prompt,
                CompletionTokens = 1,
            });
        var (code, output, err) = CliRunner.Run("usage", "--tenant", "a", "--home", _home);
        Assert.True(code == 0, err);
        var row = Assert.Single(output.Split('\n'), l => l.StartsWith("a "));
        Assert.Contains(" 2 ", row);
        Assert.Contains(" 15 ", row);
        var csv = CliRunner.Run("usage", "--csv", "--home", _home).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, csv.Length);
    }

    [Fact]
    public void DatabaseNamesWhereKeysLive()
    {
        var file = Path.Combine(_home, "elsewhere", "keys.db");
        var (code, _, err) = CliRunner.Run("keys", "create", "--tenant", "t", "--database", "sqlite:" + file, "--home", _home);
        Assert.True(code == 0, err);
        Assert.Single(new ApiKeyStore(MoxingDatabase.Open("sqlite:" + file, _home)).List());
        Assert.Empty(new ApiKeyStore(MoxingDatabase.OpenIn(_home)).List());
    }

    [Theory]
    [InlineData("database postgres://u@127.0.0.1:1/d", "keys", "list", "--database", "postgres://u:pw@127.0.0.1:1/d?connect_timeout=5")]
    [InlineData("unknown kind of database address", "usage", "--database", "mysql://u:pw@h/d")]
    public void AnUnusableDatabaseExitsWithOneNamingItWithoutItsPassword(string message, params string[] args)
    {
        var (code, _, err) = CliRunner.Run([.. args, "--home", _home]);
        Assert.Equal(1, code);
        Assert.Contains(message, err);
        Assert.DoesNotContain(":pw@", err);
    }
}
