using Microsoft.Data.Sqlite;
using Moxing.Server.Data;
using Moxing.Server.Metering;

namespace Moxing.Server.Tests.Tenants;

public sealed class UsageStoreTests : IDisposable
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-usage-").FullName;
    private readonly UsageStore _store;

    public UsageStoreTests() => _store = new UsageStore(MoxingDatabase.OpenIn(_dir));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static UsageRecord Row(string tenant, string model, int prompt, int completion, DateTimeOffset time, int status = 200) => new()
    {
        Time = time,
        RequestId = Guid.NewGuid().ToString("n"),
        Tenant = tenant,
        KeyId = tenant + "-key",
        Model = model,
        Endpoint = "/v1/chat/completions",
        Status = status,
        Outcome = status == 200 ? "stop" : "error",
        PromptTokens = prompt,
        CachedTokens = prompt / 2,
        CompletionTokens = completion,
        QueueMs = 1.5,
        TimeToFirstTokenMs = 20,
        TotalMs = 100,
    };

    [Fact]
    public void RowsComeBackExactlyAndFilterByTenantModelAndTime()
    {
        _store.Record(Row("a", "qwen", 10, 5, Noon));
        _store.Record(Row("a", "llama", 7, 3, Noon.AddHours(1)));
        _store.Record(Row("b", "qwen", 100, 50, Noon.AddHours(2), status: 429));
        var all = _store.Query(new UsageQuery());
        Assert.Equal(3, all.Count);
        Assert.Equal(Row("a", "qwen", 10, 5, Noon) with { RequestId = all[0].RequestId }, all[0]);
        Assert.Equal(2, _store.Query(new UsageQuery(Tenant: "a")).Count);
        Assert.Single(_store.Query(new UsageQuery(Tenant: "a", Model: "llama")));
        Assert.Equal(2, _store.Query(new UsageQuery(Since: Noon.AddMinutes(30))).Count);
        Assert.Single(_store.Query(new UsageQuery(Since: Noon.AddMinutes(30), Until: Noon.AddHours(2))));
        Assert.Equal(25, _store.TokensUsed(new UsageQuery(Tenant: "a")));
        Assert.Equal(150, _store.TokensUsed(new UsageQuery(KeyId: "b-key")));
        Assert.Equal(0, _store.TokensUsed(new UsageQuery(Tenant: "nobody")));
    }

    [Fact]
    public void TextIsNotStoredUnlessGiven()
    {
        _store.Record(Row("a", "qwen", 1, 1, Noon));
        _store.Record(Row("b", "qwen", 1, 1, Noon) with { PromptText = "opted in", CompletionText = "reply" });
        var rows = _store.Query(new UsageQuery());
        Assert.Null(rows[0].PromptText);
        Assert.Equal("opted in", rows[1].PromptText);
    }

    [Fact]
    public void CsvHasAHeaderAndQuotesFieldsThatNeedIt()
    {
        _store.Record(Row("team, \"x\"", "qwen", 3, 4, Noon));
        var csv = new StringWriter();
        UsageStore.WriteCsv(_store.Query(new UsageQuery()), csv);
        var lines = csv.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("time,request_id,tenant,key_id,model", lines[0]);
        Assert.Contains("\"team, \"\"x\"\"\"", lines[1]);
        Assert.StartsWith("2026-11-23T12:00:00.0000000Z,", lines[1]);
    }

    [Fact]
    public void ARecordIsVisibleToAnotherConnectionAsSoonAsRecordReturns()
    {
        _store.Record(Row("a", "qwen", 1, 2, Noon));
        var other = new UsageStore(MoxingDatabase.OpenIn(_dir));
        Assert.Single(other.Query(new UsageQuery()));
    }
}
