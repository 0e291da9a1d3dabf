using System.Threading.Channels;
using Moxing.Inference.Generation;
using Moxing.Inference.Scheduling;
using Moxing.Models;
using Moxing.Text.Tokenization;

namespace Moxing.Server.Tests.Tools;

/// An engine that "generates" the text after the last "SAY:" of the prompt (up to the end of that message: the first of the
/// templates' end-of-message markers), token by token, so tests can make a model write an exact tool call and check how the
/// server parses it. A script that ends with <see cref="Failure"/> makes the engine fail after writing the text before it.
public sealed class ScriptedEngine(Tokenizer tokenizer, string[] endsOfMessage) : IGenerationEngine
{
    public const string Marker = "SAY:";
    public const string Failure = "<fail>";

    public static Server.Models.EngineFactory For(params string[] endsOfMessage) => For(_ => endsOfMessage);

    /// An engine per model, cutting scripts at the ends of a message its template writes.
    public static Server.Models.EngineFactory For(Func<LoadedModel, string[]> endsOfMessage) =>
        (model, _) => new ScriptedEngine(model.RequireTokenizer(), endsOfMessage(model));

    public GenerationStream Submit(GenerationRequest request, CancellationToken cancellation = default)
    {
        var prompt = tokenizer.Decode(request.PromptIds, skipSpecialTokens: false);
        var at = prompt.LastIndexOf(Marker, StringComparison.Ordinal);
        if (at < 0) throw new InvalidOperationException("the prompt holds no script");
        var script = prompt[(at + Marker.Length)..];
        var ends = endsOfMessage.Select(e => script.IndexOf(e, StringComparison.Ordinal)).Where(i => i >= 0).ToList();
        script = ends.Count == 0 ? script : script[..ends.Min()];
        var fails = script.EndsWith(Failure, StringComparison.Ordinal);
        var ids = tokenizer.Encode(fails ? script[..^Failure.Length] : script, addSpecialTokens: false);
        var tokens = Channel.CreateUnbounded<GeneratedToken>();
        var count = Math.Min(ids.Length, request.Limits.MaxTokens);
        for (var i = 0; i < count; i++) tokens.Writer.TryWrite(new GeneratedToken(ids[i], float.NaN, null));
        tokens.Writer.Complete(fails ? new InvalidOperationException("the scripted engine failed") : null);
        var outcome = new GenerationOutcome(count < ids.Length ? FinishReason.Length : FinishReason.Stop, request.PromptIds.Length, 0, count,
            TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);
        return new GenerationStream(tokens.Reader, Task.FromResult(outcome));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
