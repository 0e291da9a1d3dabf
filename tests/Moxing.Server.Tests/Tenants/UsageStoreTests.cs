using Moxing.Server.Metering;
using Moxing.Server.Tests.Data;

namespace Moxing.Server.Tests.Tenants;

/// Runs on every backend of <see cref="TestDatabase.Backends"/>: one fresh database per test.
public sealed class UsageStoreTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

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

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public void RowsComeBackExactlyAndFilterByTenantModelAndTime(string backend)
    {
        using var db = new TestDatabase(backend);
        var store = new UsageStore(db.Open());
        store.Record(Row("a", "qwen", 10, 5, Noon));
        store.Record(Row("a", "llama", 7, 3, Noon.AddHours(1)));
        store.Record(Row("b", "qwen", 100, 50, Noon.AddHours(2), status: 429));
        var all = store.Query(new UsageQuery());
        Assert.Equal(3, all.Count);
        Assert.Equal(Row("a", "qwen", 10, 5, Noon) with { RequestId = all[0].RequestId }, all[0]);
        Assert.Equal(2, store.Query(new UsageQuery(Tenant: "a")).Count);
        Assert.Single(store.Query(new UsageQuery(Tenant: "a", Model: "llama")));
        Assert.Equal(2, store.Query(new UsageQuery(Since: Noon.AddMinutes(30))).Count);
        Assert.Single(store.Query(new UsageQuery(Since: Noon.AddMinutes(30), Until: Noon.AddHours(2))));
        Assert.Equal(25, store.TokensUsed(new UsageQuery(Tenant: "a")));
        Assert.Equal(150, store.TokensUsed(new UsageQuery(KeyId: "b-key")));
        Assert.Equal(0, store.TokensUsed(new UsageQuery(Tenant: "nobody")));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public void TextIsNotStoredUnlessGiven(string backend)
    {
        using var db = new TestDatabase(backend);
        var store = new UsageStore(db.Open());
        store.Record(Row("a", "qwen", 1, 1, Noon));
        store.Record(Row("b", "qwen", 1, 1, Noon) with { PromptText = "opted in", CompletionText = "reply" });
        var rows = store.Query(new UsageQuery());
        Assert.Null(rows[0].PromptText);
        Assert.Equal("opted in", rows[1].PromptText);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public void CsvHasAHeaderAndQuotesFieldsThatNeedIt(string backend)
    {
        using var db = new TestDatabase(backend);
        var store = new UsageStore(db.Open());
        store.Record(Row("team, \"x\"", "qwen", 3, 4, Noon));
        var csv = new StringWriter();
        UsageStore.WriteCsv(store.Query(new UsageQuery()), csv);
        var lines = csv.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("time,request_id,tenant,key_id,model", lines[0]);
        Assert.Contains("\"team, \"\"x\"\"\"", lines[1]);
        Assert.StartsWith("2026-11-23T12:00:00.0000000Z,", lines[1]);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public void ARecordIsVisibleToAnotherConnectionAsSoonAsRecordReturns(string backend)
    {
        using var db = new TestDatabase(backend);
        var store = new UsageStore(db.Open());
        store.Record(Row("a", "qwen", 1, 2, Noon));
        var other = new UsageStore(db.Open());
        Assert.Single(other.Query(new UsageQuery()));
    }
}
