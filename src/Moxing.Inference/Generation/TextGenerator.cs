using Moxing.Inference.Sampling;
using Moxing.Inference.Sessions;
using Moxing.Text.Tokenization;

namespace Moxing.Inference.Generation;

/// <summary>What one text generation produced.</summary>
/// <param name="Text">The generated text (stop string excluded).</param>
/// <param name="TokenIds">The generated token ids.</param>
/// <param name="Finish">Why it ended.</param>
public sealed record TextGeneration(string Text, int[] TokenIds, FinishReason Finish);

/// <summary>Generates text: tokens from <see cref="TokenGenerator"/>, streamed through an incremental decoder and stop strings.</summary>
public sealed class TextGenerator(InferenceSession session, Tokenizer tokenizer)
{
    /// <summary>
    /// Generates from <paramref name="promptIds"/> and calls <paramref name="onText"/> with each releasable piece of text
    /// (never a broken UTF-8 character, never part of a stop string).
    /// </summary>
    public TextGeneration Generate(ReadOnlySpan<int> promptIds, SamplingOptions sampling, GenerationLimits limits,
        IReadOnlyList<string> stopStrings, Action<string>? onText = null, CancellationToken cancellation = default)
    {
        var decoder = tokenizer.CreateIncrementalDecoder(skipSpecialTokens: true);
        var filter = new StopStringFilter(stopStrings);
        var text = new System.Text.StringBuilder();
        var ids = new List<int>();
        void Release(string piece)
        {
            if (piece.Length == 0) return;
            text.Append(piece);
            onText?.Invoke(piece);
        }
        var sampler = new Sampler(sampling, session.Model.Options.VocabSize);
        var finish = new TokenGenerator(session, sampler).Generate(promptIds, limits, id =>
        {
            ids.Add(id);
            Release(filter.Push(decoder.Add(id)));
            return !filter.Stopped;
        }, cancellation);
        if (filter.Stopped) finish = FinishReason.Stop;
        else Release(filter.Push(decoder.Flush()) + filter.Flush());
        return new TextGeneration(text.ToString(), ids.ToArray(), finish);
    }
}
