using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Synthesis;
using Moxing.Tests;

namespace Moxing.Models.Tests.Decoder;

/// <summary>
/// A synthetic gpt-oss GGUF (F16 attention, MXFP4 experts, window 8 on even layers): the options llama.cpp derives, logits
/// against a double-precision statement of the architecture (and far from it with the sinks dropped or top-k and softmax
/// swapped), batched steps equal to each sequence alone (within the 8-bit activations' rounding), bad files refused clearly.
/// </summary>
public sealed class GptOssForwardTests : IDisposable
{
    private static readonly SynthShape Shape = SynthShape.Find("tiny-gpt-oss")!;
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-gptoss-").FullName;
    private readonly string _path;
    private readonly LoadedModel _loaded;

    public GptOssForwardTests()
    {
        _path = Path.Combine(_dir, "gpt-oss.gguf");
        SyntheticModelWriter.Write(Shape, SynthFileType.Find("F16")!, 5, _path);
        _loaded = ModelLoader.Load(_path);
    }

    private DecoderModel Model => _loaded.RequireDecoder();
    private int Vocab => Model.Options.VocabSize;

    public void Dispose()
    {
        _loaded.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static int[] Ids(int count, int seed, int vocab)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(vocab)).ToArray();
    }

    private float[] Alone(params int[][] chunks) => Alone(Model, chunks);

    private static float[] Alone(DecoderModel model, params int[][] chunks)
    {
        var pool = KvBlockPool.ForPositions(model.Options, DType.F16, 128);
        using var sequence = new SequenceKv(pool, 128);
        var scratch = model.CreateScratch(64);
        float[] logits = [];
        foreach (var chunk in chunks)
        {
            logits = new float[chunk.Length * model.Options.VocabSize];
            model.Forward(chunk, sequence, scratch, logits, allLogits: true);
        }
        return logits;
    }

    [Fact]
    public void TheOptionsAreLlamaCppsReadingOfTheFile()
    {
        var o = Model.Options;
        Assert.Equal("gpt-oss", o.Architecture);
        Assert.True(o.AttentionSinks);
        Assert.Equal([8, 0, 8, 0], o.SlidingWindows);
        Assert.Null(o.SlidingRope);
        Assert.Equal(Activation.SwigluOai, o.Activation);
        Assert.Equal((8, 4, 256, true), (o.Moe!.ExpertCount, o.Moe.ExpertsUsed, o.Moe.ExpertFeedForward, o.Moe.NormalizeTopK));
        Assert.Equal((RopeScaling.Yarn, 32.0, 4096, RopeStyle.Half), (o.Rope!.Scaling, o.Rope.Factor, o.Rope.OriginalContext, o.Rope.Style));
        var layer = Model.Weights.Layers[1];
        Assert.All(new[] { layer.Attention.Q!, layer.Attention.K!, layer.Attention.V!, layer.Attention.O, layer.Moe!.Router }, l => Assert.NotNull(l.Bias));
        Assert.Equal(Shape.Heads, layer.Attention.Sinks!.Length);
        Assert.All(layer.Moe.Experts, e => Assert.All(e.Linears, l => Assert.NotNull(l.Bias)));
        Assert.Equal(DType.MXFP4, layer.Moe.Experts[0].Gate!.Weight.Type);
    }

    [Fact]
    public void LogitsMatchTheArchitectureWrittenOutAndNotItsMutations()
    {
        // 20 tokens: the window of 8 cuts the even layers' attention. The error (4.5e-3) is the experts' 8-bit activations
        // (ggml's q8_0, as llama.cpp computes MXFP4); the mutations are 0.28 and 0.50 away. These ids route no token where
        // two experts tie within that error (other seeds may: one token then takes another expert).
        var ids = Ids(20, 5, Vocab);
        var actual = Alone(ids);
        using var file = GgufFile.Open(_path);
        var reference = new GptOssReference(file, Model.Options);
        var error = LogitErrors.RelativeMax(reference.Logits(ids, new GptOssVariant()), actual);
        Assert.True(error <= 1e-2, $"max|Δ|/max|ref| = {error:E2}");
        foreach (var mutation in new[] { new GptOssVariant(Sinks: false), new GptOssVariant(SoftmaxOfTopK: false) })
        {
            var distance = LogitErrors.RelativeMax(reference.Logits(ids, mutation), actual);
            Assert.True(distance > 10 * error, $"{mutation}: the model is {distance:E2} from it, {error:E2} from the architecture");
        }
    }

    // Every expert routed (top-8 of 8), so no top-k choice can flip: a step's tokens are split into attention tiles by the
    // batch's size, which moves the last bits of softmax sums (1e-7), and one 8-bit activation code crossing a rounding
    // boundary then moves a product by ~1e-3; with top-4 such a change can also swap a near-tied expert.
    [Fact]
    public void MixedPrefillAndDecodeBatchMatchesEachSequenceAlone()
    {
        var path = Path.Combine(_dir, "dense-routing.gguf");
        SyntheticModelWriter.Write(Shape with { ExpertsUsed = Shape.Experts }, SynthFileType.Find("Q8_0")!, 5, path);
        using var loaded = ModelLoader.Load(path);
        var model = loaded.RequireDecoder();
        var pool = model.CreateBlockPool(64L << 20);
        var scratch = model.CreateScratch(64);
        int[] promptA = Ids(21, 1, Vocab), promptB = Ids(5, 2, Vocab), promptC = Ids(17, 3, Vocab);
        using SequenceKv a = new(pool, 100), b = new(pool, 100), c = new(pool, 100);
        model.Forward(promptA, a, scratch, new float[Vocab], allLogits: false);

        int[] nextA = [7];
        BatchSlice[] slices = [new(a, nextA), new(b, promptB), new(c, promptC, LogitsWanted.All)];
        var logits = new float[(2 + promptC.Length) * Vocab];
        Assert.Equal(2 + promptC.Length, model.ForwardBatch(slices, scratch, logits));
        AssertClose(Alone(model, promptA, nextA), logits.AsSpan(0, Vocab), "A decoding");
        AssertClose(Alone(model, promptB).AsSpan((promptB.Length - 1) * Vocab), logits.AsSpan(Vocab, Vocab), "B prefilling");
        AssertClose(Alone(model, promptC), logits.AsSpan(2 * Vocab), "C prefilling, every row");
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        var error = LogitErrors.RelativeMax(expected, actual);
        Assert.True(error <= 1e-2, $"{what}: max|Δ|/max|ref| = {error:E2}");
    }

    [Fact]
    public void AFileWithoutSinksIsAClearError()
    {
        var path = Path.Combine(_dir, "bad.gguf");
        using (var file = GgufFile.Open(_path))
        {
            var writer = new GgufWriter();
            foreach (var (key, value) in file.Metadata) writer.Set(key, value);
            foreach (var t in file.Tensors.Where(t => t.Name != "blk.1.attn_sinks.weight")) writer.AddTensor(t);
            writer.Write(path);
        }
        var error = Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(path));
        Assert.Contains("tensor 'blk.1.attn_sinks.weight' is missing", error.Message);
    }

    [Fact]
    public void ExpertBiasesOfTheWrongShapeAreAClearError()
    {
        var path = Path.Combine(_dir, "bad.gguf");
        using (var file = GgufFile.Open(_path))
        {
            var writer = new GgufWriter();
            foreach (var (key, value) in file.Metadata) writer.Set(key, value);
            foreach (var t in file.Tensors.Where(t => t.Name != "blk.0.ffn_up_exps.bias")) writer.AddTensor(t);
            writer.AddF32("blk.0.ffn_up_exps.bias", [Shape.Experts, 3], new float[Shape.Experts * 3]);
            writer.Write(path);
        }
        var error = Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(path));
        Assert.Contains("'blk.0.ffn_up_exps.bias' has shape [8, 3], expected [8, 256]", error.Message);
    }
}
