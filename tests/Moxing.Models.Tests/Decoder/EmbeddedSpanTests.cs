using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Tests.Families;
using Moxing.Tests;

namespace Moxing.Models.Tests.Decoder;

/// <summary>
/// Embeddings given in place of placeholder tokens (an image's) enter the decoder unscaled at their positions, and a bidirectional
/// span's tokens see each other (Gemma 3's token_type_ids mask): the logits equal <see cref="DenseReference"/>'s with the same
/// rows and mask within 1e-4, chunked prefill around the span equals one call, and dropping the mask moves the logits.
/// </summary>
public class EmbeddedSpanTests
{
    private const int Hidden = 64;

    private static EmbeddedSpan Span(int position, int length, bool bidirectional, int seed = 4)
    {
        var random = new Random(seed);
        return new EmbeddedSpan(position, length, [.. Enumerable.Range(0, length * Hidden).Select(_ => random.NextSingle() * 4 - 2)], bidirectional, (ulong)seed);
    }

    private static float[] Run(DecoderModel model, int[] ids, EmbeddedSpan span, params int[] chunks)
    {
        var pool = KvBlockPool.ForPositions(model.Options, DType.F32, 64);
        using var sequence = new SequenceKv(pool, 64);
        var scratch = model.CreateScratch(32);
        float[] logits = [];
        var start = 0;
        foreach (var end in chunks.Append(ids.Length))
        {
            logits = new float[(end - start) * model.Options.VocabSize];
            model.ForwardBatch([new BatchSlice(sequence, ids.AsMemory(start, end - start), LogitsWanted.All, [span])], scratch, logits);
            start = end;
        }
        return logits;
    }

    private static float[] Reference(string folder, int[] ids, EmbeddedSpan span, bool bidirectional)
    {
        var rows = Enumerable.Range(0, span.Length).Select(r => span.Rows.AsSpan(r * Hidden, Hidden).ToArray().Select(v => (double)v).ToArray()).ToArray();
        return DenseFamilyTests.Flatten(new DenseReference(folder).Forward(ids, [(span.Position, rows, bidirectional)]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SpanLogitsEqualTheReference(bool bidirectional)
    {
        using var folder = new TinyHfFolder("gemma");
        using var model = ModelLoader.Load(folder.Folder);
        var span = Span(3, 5, bidirectional);
        var ids = DenseFamilyTests.Prompt;
        DecoderChecks.AssertClose(Reference(folder.Folder, ids, span, bidirectional), Run(model.RequireDecoder(), ids, span), 1e-4, "span at 3..8");
    }

    [Fact]
    public void DroppingTheBidirectionalMaskMovesTheLogits()
    {
        using var folder = new TinyHfFolder("gemma");
        using var model = ModelLoader.Load(folder.Folder);
        var span = Span(3, 5, bidirectional: true);
        var error = LogitErrors.RelativeMax(Reference(folder.Folder, DenseFamilyTests.Prompt, span, bidirectional: false), Run(model.RequireDecoder(), DenseFamilyTests.Prompt, span));
        Assert.True(error > 1e-3, $"causal vs bidirectional: {error:E2}");
    }

    [Fact]
    public void ChunksAroundTheSpanEqualOneCall()
    {
        using var folder = new TinyHfFolder("gemma");
        using var model = ModelLoader.Load(folder.Folder);
        var decoder = model.RequireDecoder();
        var span = Span(3, 5, bidirectional: true);
        var ids = DenseFamilyTests.Prompt;
        var vocab = decoder.Options.VocabSize;
        var whole = Run(decoder, ids, span);
        // Chunks end before the span and after it; the last chunk's rows are the tokens from 10 on.
        DecoderChecks.AssertClose(whole.AsSpan(10 * vocab), Run(decoder, ids, span, 2, 8, 10), 1e-5, "chunks 2, 6, 2, 3");
    }

    [Fact]
    public void ABidirectionalSpanSplitAcrossStepsIsRefused()
    {
        using var folder = new TinyHfFolder("gemma");
        using var model = ModelLoader.Load(folder.Folder);
        var e = Assert.Throws<ArgumentException>(() => Run(model.RequireDecoder(), DenseFamilyTests.Prompt, Span(3, 5, bidirectional: true), 5));
        Assert.Contains("ends after the step's last position", e.Message);
    }
}
