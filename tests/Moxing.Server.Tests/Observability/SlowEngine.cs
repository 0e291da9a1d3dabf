using System.Threading.Channels;
using Moxing.Inference.Scheduling;
using Moxing.Models;
using Moxing.Server.Models;

namespace Moxing.Server.Tests.Observability;

/// The real engine with a pause before each token reaches the server, so a generation lasts long enough to be caught mid-way.
public sealed class SlowEngine(IGenerationEngine inner, TimeSpan perToken) : IGenerationEngine
{
    public static EngineFactory Factory(TimeSpan perToken) =>
        (LoadedModel model, EngineSettings settings) => new SlowEngine(Engines.ContinuousBatching(model, settings), perToken);

    public GenerationStream Submit(GenerationRequest request, CancellationToken cancellation = default)
    {
        var stream = inner.Submit(request, cancellation);
        var relay = Channel.CreateUnbounded<GeneratedToken>();
        _ = RelayAsync(stream, relay.Writer, cancellation);
        return new GenerationStream(relay.Reader, stream.Completion);
    }

    private async Task RelayAsync(GenerationStream stream, ChannelWriter<GeneratedToken> writer, CancellationToken cancellation)
    {
        try
        {
            await foreach (var token in stream.Tokens.ReadAllAsync(cancellation))
            {
                await Task.Delay(perToken, cancellation);
                await writer.WriteAsync(token, cancellation);
            }
            writer.TryComplete();
        }
        catch (Exception e)
        {
            writer.TryComplete(e);
        }
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
