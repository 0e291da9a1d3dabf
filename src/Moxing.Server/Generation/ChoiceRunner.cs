using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Moxing.Server.Metering;
using Moxing.Server.Models;

namespace Moxing.Server.Generation;

/// <summary>Something that happened to one of n choices: a piece of text, or its end.</summary>
/// <param name="Index">The choice.</param>
/// <param name="Piece">New text (null on the end event).</param>
/// <param name="Result">How the choice ended (null on a text event).</param>
public readonly record struct ChoiceEvent(int Index, CompletionPiece? Piece, CompletionResult? Result);

/// <summary>Runs the n choices of each prompt of one request side by side on the engine (they batch together) and merges their
/// events in arrival order; choice p · n + j is the j-th of prompt p.</summary>
public static class ChoiceRunner
{
    /// <summary>
    /// Yields every choice's pieces and then its result; the first failure of any choice ends the whole stream with that error.
    /// A <paramref name="meter"/> admits the request under its key's limits now, before any model work (or throws), and is told
    /// every choice's result, including those of cancelled choices.
    /// </summary>
    public static IAsyncEnumerable<ChoiceEvent> RunAsync(ResidentModel model, int[] promptIds, GenerationParameters parameters, int n,
        MeteredRequest? meter, string promptParam, CancellationToken cancellation) =>
        RunAsync(model, [promptIds], parameters, n, meter, promptParam, cancellation);

    /// <summary>As <see cref="RunAsync(ResidentModel, int[], GenerationParameters, int, MeteredRequest?, string, CancellationToken)"/>
    /// for n choices of each of several prompts.</summary>
    public static IAsyncEnumerable<ChoiceEvent> RunAsync(ResidentModel model, IReadOnlyList<int[]> prompts, GenerationParameters parameters, int n,
        MeteredRequest? meter, string promptParam, CancellationToken cancellation)
    {
        if (meter is not null) parameters = meter.Admit(model, [.. prompts.Select(p => p.Length)], parameters, n, promptParam);
        return RunChoicesAsync(model, prompts, parameters, n, meter, cancellation);
    }

    private static async IAsyncEnumerable<ChoiceEvent> RunChoicesAsync(ResidentModel model, IReadOnlyList<int[]> prompts, GenerationParameters parameters,
        int n, MeteredRequest? meter, [EnumeratorCancellation] CancellationToken cancellation)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var events = Channel.CreateUnbounded<ChoiceEvent>(new UnboundedChannelOptions { SingleReader = true });
        var running = new Task[prompts.Count * n];
        for (var i = 0; i < running.Length; i++)
            running[i] = RunChoiceAsync(model, prompts[i / n], i / n, parameters.ForChoice(i % n), i, meter, events.Writer, stop.Token);
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

    private static async Task RunChoiceAsync(ResidentModel model, int[] promptIds, int prompt, GenerationParameters parameters, int index,
        MeteredRequest? meter, ChannelWriter<ChoiceEvent> events, CancellationToken cancellation)
    {
        var completion = new TextCompletion(model, promptIds, parameters);
        var metered = false;
        try
        {
            await foreach (var piece in completion.RunAsync(cancellation)) await events.WriteAsync(new ChoiceEvent(index, piece, null), cancellation);
            // Metered before the result is passed on, so the row written before the response's last byte counts this choice.
            meter?.AddChoice(completion.Result!, prompt);
            metered = true;
            await events.WriteAsync(new ChoiceEvent(index, null, completion.Result), cancellation);
        }
        catch (Exception e)
        {
            // The first failure ends the merged stream with its error.
            events.TryComplete(e);
        }
        finally
        {
            if (!metered && completion.Result is { } partial) meter?.AddChoice(partial, prompt);
        }
    }
}
