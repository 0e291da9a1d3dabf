using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Core.Tensors;
using Moxing.Models.Conversion;
using Moxing.Models.Decoder;
using Moxing.Models.Synthesis;
using Moxing.Models.Tests.Decoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// Qwen2-VL and Qwen2.5-VL's language model (<see cref="TinyHfFolder"/>'s qwen2_vl, flat, and qwen2_5_vl, nested): text alone gives
/// <see cref="DenseReference"/>'s logits and plain Qwen2's; image grids take get_rope_index's (t, h, w) positions and the text after them
/// continues from the grid's largest position + 1, across chunks, steps and batches; each M-RoPE rule moves the logits when dropped.
/// </summary>
public sealed class Qwen2VlFamilyTests : IDisposable
{
    private const int Hidden = 64;
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-qwen2vl-").FullName;

    // 16 tokens: a 2 × 3 grid at 2..7, text at 8, a 2 × 2 grid at 9..12, text at 13..15.
    private static readonly int[] Prompt = DecoderChecks.Ids(16, 5, 96);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static EmbeddedSpan Grid(int position, int rows, int columns, int seed)
    {
        var random = new Random(seed);
        return new EmbeddedSpan(position, rows * columns, [.. Enumerable.Range(0, rows * columns * Hidden).Select(_ => random.NextSingle() * 4 - 2)],
            Bidirectional: false, (ulong)seed)
        { GridWidth = columns };
    }

    private static readonly EmbeddedSpan[] Images = [Grid(2, 2, 3, 4), Grid(9, 2, 2, 5)];

    private static double[][] Reference(string folder, string? drop = null) => new DenseReference(folder).ForwardWithGrids(Prompt,
        [.. Images.Select(g => (g.Position, Enumerable.Range(0, g.Length).Select(r => g.Rows.AsSpan(r * Hidden, Hidden).ToArray().Select(v => (double)v).ToArray()).ToArray(), g.GridWidth))], drop);

    // Every row's logits of the prompt, run in chunks ending at `chunks` (the spans passed with every chunk, as the scheduler does).
    private static float[] Run(DecoderModel model, int[] ids, IReadOnlyList<EmbeddedSpan> spans, params int[] chunks)
    {
        var pool = KvBlockPool.ForPositions(model.Options, DType.F32, 64);
        using var sequence = new SequenceKv(pool, 64);
        var scratch = model.CreateScratch(32);
        var vocab = model.Options.VocabSize;
        var logits = new float[ids.Length * vocab];
        var start = 0;
        foreach (var end in chunks.Append(ids.Length))
        {
            model.ForwardBatch([new BatchSlice(sequence, ids.AsMemory(start, end - start), LogitsWanted.All, spans)], scratch, logits.AsSpan(start * vocab));
            start = end;
        }
        return logits;
    }

    [Theory]
    [InlineData("qwen2_vl")]
    [InlineData("qwen2_5_vl")]
    public void TextAloneMatchesTheReference(string type)
    {
        using var folder = new TinyHfFolder(type);
        using (var model = ModelLoader.Load(folder.Folder))
            Assert.Equal(TinyHfFolder.MropeSection, model.RequireDecoder().Options.Rope!.Sections);
        DecoderChecks.AssertClose(DenseFamilyTests.Flatten(new DenseReference(folder.Folder).Forward(DenseFamilyTests.Prompt)),
            DenseFamilyTests.Logits(folder.Folder), 1e-4, type);
    }

    [Theory]
    [InlineData("qwen2_vl")]
    [InlineData("qwen2_5_vl")]
    public void ImageGridsTakeTheirRopeIndexPositions(string type)
    {
        using var folder = new TinyHfFolder(type);
        using var model = ModelLoader.Load(folder.Folder);
        DecoderChecks.AssertClose(DenseFamilyTests.Flatten(Reference(folder.Folder)), Run(model.RequireDecoder(), Prompt, Images), 1e-4, type + " with two grids");
    }

    // rope_deltas: text after a grid at its token count; mrope_hw: rows and columns swapped; mrope_section: one position for every pair;
    // mrope_section_order: the sections reversed.
    [Theory]
    [InlineData("rope_deltas")]
    [InlineData("mrope_hw")]
    [InlineData("mrope_section")]
    [InlineData("mrope_section_order")]
    public void DroppingAnMropeRuleMovesTheLogitsFarBeyondTheTolerance(string drop)
    {
        using var folder = new TinyHfFolder("qwen2_vl");
        using var model = ModelLoader.Load(folder.Folder);
        var error = LogitErrors.RelativeMax(DenseFamilyTests.Flatten(Reference(folder.Folder, drop)), Run(model.RequireDecoder(), Prompt, Images));
        Assert.True(error > 1e-3, $"without {drop}: max|Δ|/max|ref| = {error:E2}");
    }

    // Chunks that end inside a grid, between the grids and after them, then token by token: the positions come from the spans alone.
    [Fact]
    public void ChunksAndStepsEqualOneCall()
    {
        using var folder = new TinyHfFolder("qwen2_5_vl");
        using var model = ModelLoader.Load(folder.Folder);
        var decoder = model.RequireDecoder();
        var whole = Run(decoder, Prompt, Images);
        DecoderChecks.AssertClose(whole, Run(decoder, Prompt, Images, 4, 9, 11, 13, 14, 15), 1e-5, "chunks 4, 5, 2, 2, 1, 1, 1");
    }

    // llama.cpp's qwen2vl keys as Qwen2VLModel writes them (sections padded to four), the tower left out; the F32 file runs as the folder.
    [Theory]
    [InlineData("qwen2_vl")]
    [InlineData("qwen2_5_vl")]
    public void TheConvertedGgufMatchesTheFolder(string type)
    {
        using var folder = new TinyHfFolder(type);
        var path = Path.Combine(_dir, type + ".gguf");
        using (var input = new HfGgufInput(folder.Folder))
            GgufQuantizer.Quantize(input, path, QuantizationMix.Find("F32")!, null, WorkerPool.Shared);
        using (var file = GgufFile.Open(path))
        {
            Assert.Equal("qwen2vl", file.Metadata.GetString("general.architecture"));
            Assert.Equal([2, 3, 3, 0], file.Metadata.GetArray<int>("qwen2vl.rope.dimension_sections"));
            Assert.DoesNotContain(file.Tensors, t => t.Name.Contains("visual", StringComparison.Ordinal));
        }
        using var converted = ModelLoader.Load(path);
        using var original = ModelLoader.Load(folder.Folder);
        DecoderChecks.AssertClose(Run(original.RequireDecoder(), Prompt, Images), Run(converted.RequireDecoder(), Prompt, Images), 1e-5, type + " → F32 GGUF");
    }

    // One step over a sequence with images and one without gives each its logits alone.
    [Fact]
    public void ABatchWithAndWithoutImagesEqualsEachAlone()
    {
        using var folder = new TinyHfFolder("qwen2_vl");
        using var model = ModelLoader.Load(folder.Folder);
        var decoder = model.RequireDecoder();
        var vocab = decoder.Options.VocabSize;
        var pool = KvBlockPool.ForPositions(decoder.Options, DType.F32, 128);
        using SequenceKv a = new(pool, 64), b = new(pool, 64);
        var text = DecoderChecks.Ids(7, 9, vocab);
        var logits = new float[(Prompt.Length + text.Length) * vocab];
        decoder.ForwardBatch([new BatchSlice(a, Prompt, LogitsWanted.All, Images), new BatchSlice(b, text, LogitsWanted.All)], decoder.CreateScratch(32), logits);
        DecoderChecks.AssertClose(Run(decoder, Prompt, Images), logits.AsSpan(0, Prompt.Length * vocab), 1e-5, "with images");
        DecoderChecks.AssertClose(Run(decoder, text, []), logits.AsSpan(Prompt.Length * vocab), 1e-5, "text alone");
    }

    // tiny-qwen2vl and tiny-qwen2 draw the same weights: text alone gives Qwen2's logits, images move them.
    [Fact]
    public void TheSynthesizedGgufReadsItsSectionsAndRunsTextAsQwen2()
    {
        using var vl = new SynthesizedModel("tiny-qwen2vl", "F16", 3);
        using var qwen2 = new SynthesizedModel("tiny-qwen2", "F16", 3);
        Assert.Equal([8, 12, 12], vl.Model.Options.Rope!.Sections!);
        var ids = DecoderChecks.Ids(16, 5, vl.Model.Options.VocabSize);
        var text = Run(vl.Model, ids, []);
        Assert.Equal(Run(qwen2.Model, ids, []), text);
        var random = new Random(6);
        var rows = Enumerable.Range(0, 6 * vl.Model.Options.HiddenSize).Select(_ => random.NextSingle() - 0.5f).ToArray();
        EmbeddedSpan grid = new(2, 6, rows, false, 6) { GridWidth = 3 }, flat = grid with { GridWidth = 0 };
        var error = LogitErrors.RelativeMax(Run(vl.Model, ids, [flat]), Run(vl.Model, ids, [grid]));
        Assert.True(error > 1e-3, $"grid vs consecutive positions: {error:E2}");
    }

    [Fact]
    public void MissingOrExtraSectionsAreRefusedByKey()
    {
        var shape = SynthShape.Find("tiny-qwen2vl")!;
        string missing = Path.Combine(_dir, "missing.gguf"), fourth = Path.Combine(_dir, "fourth.gguf");
        SyntheticModelWriter.Build(shape, SynthFileType.Find("F16")!, 1).Remove("qwen2vl.rope.dimension_sections").Write(missing);
        SyntheticModelWriter.Build(shape, SynthFileType.Find("F16")!, 1).Set("qwen2vl.rope.dimension_sections", new[] { 8, 12, 8, 4 }).Write(fourth);
        Assert.Contains("'qwen2vl.rope.dimension_sections' is missing", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(missing)).Message);
        Assert.Contains("a fourth M-RoPE section", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(fourth)).Message);
        using var folder = new TinyHfFolder("qwen2_vl", edit: c => c["rope_scaling"]!.AsObject()["mrope_section"] = new System.Text.Json.Nodes.JsonArray(2, 3, 2));
        Assert.Contains("add up to the 8 rotated pairs", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
    }
}
