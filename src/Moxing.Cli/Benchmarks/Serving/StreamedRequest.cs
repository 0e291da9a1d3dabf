namespace Moxing.Cli.Benchmarks.Serving;

/// <summary>
/// What one streamed completion looked like from the client: its HTTP status (null: no response), when text arrived and how many
/// tokens. <see cref="TimeToFirstToken"/> is null for a stream that finished cleanly without any text (the model stopped at once).
/// </summary>
internal sealed record StreamedRequest(bool Succeeded, string? Error, TimeSpan? TimeToFirstToken, IReadOnlyList<double> InterTokenMs,
    int CompletionTokens, TimeSpan Total, int? Status);
