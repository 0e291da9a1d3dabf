namespace Moxing.Cli.Benchmarks.Serving;

/// <summary>What one streamed chat completion looked like from the client: its HTTP status (null: no response), when tokens arrived and how many.</summary>
internal sealed record StreamedRequest(bool Succeeded, string? Error, TimeSpan TimeToFirstToken, IReadOnlyList<double> InterTokenMs,
    int CompletionTokens, TimeSpan Total, int? Status);
