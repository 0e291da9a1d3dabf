using System.Threading.Channels;

namespace Moxing.Inference.Scheduling;

/// <summary>A running request: its tokens as they are produced and, when it ends, its outcome.</summary>
/// <param name="Tokens">Tokens in generation order; completes when the request ends (faults if it failed).</param>
/// <param name="Completion">The outcome; faults with the error if the request failed.</param>
public sealed record GenerationStream(ChannelReader<GeneratedToken> Tokens, Task<GenerationOutcome> Completion);
