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

    [Fact]
    public void SetTakesMaxContextMaxTokensAndModelsAndNoneClearsThem()
    {
        var (code, output, err) = CliRunner.Run("tenants", "set", "acme", "--max-context", "2048", "--max-tokens", "256",
            "--models", "llama-tiny, qwen2-tiny", "--home", _home);
        Assert.True(code == 0, err);
        Assert.Equal("tenant 'acme': context=2048 max_tokens=256 models=llama-tiny,qwen2-tiny", output.Trim());
        var store = new TenantStore(MoxingDatabase.OpenIn(_home));
        var limits = store.Get("acme")!.Limits;
        Assert.Equal((2048, 256), (limits.MaxContext, limits.MaxTokens));
        Assert.Equal(["llama-tiny", "qwen2-tiny"], limits.Models!);
        var json = CliRunner.Json("tenants", "list", "--json", "--home", _home).AsArray();
        Assert.Equal(["llama-tiny", "qwen2-tiny"], json[0]!["limits"]!["models"]!.AsArray().Select(m => (string)m!));
        Assert.Equal(256, (int)json[0]!["limits"]!["max_tokens"]!);

        (code, output, err) = CliRunner.Run("tenants", "set", "acme", "--models", "none", "--max-tokens", "none", "--home", _home);
        Assert.True(code == 0, err);
        Assert.Equal("tenant 'acme': context=2048", output.Trim());
        Assert.Equal(new TenantLimits { MaxContext = 2048 }, store.Get("acme")!.Limits);
        Assert.Matches(@"^acme\s+0\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+context=2048$",
            CliRunner.Run("tenants", "list", "--home", _home).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1]);
    }

    [Theory]
    [InlineData("set", "acme")]
    [InlineData("set", "acme", "--models", ",")]
    [InlineData("set", "acme", "--max-context", "0")]
    [InlineData("set", "acme", "--max-tokens", "lots")]
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
