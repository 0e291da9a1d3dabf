using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Moxing.Server.Models;

namespace Moxing.Server.Generation;

/// <summary>Something that happened to one of n choices: a piece of text, or its end.</summary>
/// <param name="Index">The choice.</param>
/// <param name="Piece">New text (null on the end event).</param>
/// <param name="Result">How the choice ended (null on a text event).</param>
public readonly record struct ChoiceEvent(int Index, CompletionPiece? Piece, CompletionResult? Result);

/// <summary>Runs the n choices of one request side by side on the engine (they batch together) and merges their events in arrival order.</summary>
public static class ChoiceRunner
{
    /// <summary>Yields every choice's pieces and then its result; the first failure of any choice ends the whole stream with that error.</summary>
    public static async IAsyncEnumerable<ChoiceEvent> RunAsync(ResidentModel model, int[] promptIds, GenerationParameters parameters, int n,
        [EnumeratorCancellation] CancellationToken cancellation)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var events = Channel.CreateUnbounded<ChoiceEvent>(new UnboundedChannelOptions { SingleReader = true });
        var running = new Task[n];
        for (var i = 0; i < n; i++) running[i] = RunChoiceAsync(model, promptIds, parameters.ForChoice(i), i, events.Writer, stop.Token);
        _ = Task.WhenAll(running).ContinueWith(_ => events.Writer.TryComplete(), TaskScheduler.Default);
        try
        {
            await foreach (var e in events.Reader.ReadAllAsync(cancellation)) yield return e;
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(running);
        }
    }

    private static async Task RunChoiceAsync(ResidentModel model, int[] promptIds, GenerationParameters parameters, int index,
        ChannelWriter<ChoiceEvent> events, CancellationToken cancellation)
    {
        try
        {
            var completion = new TextCompletion(model, promptIds, parameters);
            await foreach (var piece in completion.RunAsync(cancellation)) await events.WriteAsync(new ChoiceEvent(index, piece, null), cancellation);
            await events.WriteAsync(new ChoiceEvent(index, null, completion.Result), cancellation);
        }
        catch (Exception e)
        {
            // The first failure ends the merged stream with its error.
            events.TryComplete(e);
        }
    }
}
