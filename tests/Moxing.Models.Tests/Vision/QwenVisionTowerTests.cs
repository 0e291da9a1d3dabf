using Moxing.Core;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Images;
using Moxing.Core.Ops;
using Moxing.Models.Synthesis;
using Moxing.Models.Tests.Decoder;
using Moxing.Models.Vision;
using Moxing.Tests;
using Moxing.Text.Tokenization;
using Moxing.Text.Tokenization.Gguf;

namespace Moxing.Models.Tests.Vision;

/// <summary>
/// Qwen2-VL / Qwen2.5-VL towers from a Hugging Face folder equal <see cref="QwenVisionReference"/>'s statement of transformers' code within
/// 1e-4 on images of several shapes (windows cut by the edge), in either nesting; the same weights as llama.cpp's mmproj (F16, the
/// merger's tanh GELU) give the same embeddings; dropping window attention, the ViT's rotary or the merge order is caught; images are sized
/// as smart_resize sizes them and enter a prompt between &lt;|vision_start|&gt; and &lt;|vision_end|&gt; as an M-RoPE grid.
/// </summary>
public class QwenVisionTowerTests
{
    private static float[] Pixels(int width, int height, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, 3 * width * height).Select(_ => random.NextSingle() * 2 - 1).ToArray();
    }

    private static VisionTower LoadHf(TinyQwenVisionFolder folder) =>
        VisionLoader.LoadHf(folder.Folder, HfConfig.Load(Path.Combine(folder.Folder, "config.json")), TinyQwenVisionFolder.TextHidden)!;

    private static float[] Flat(double[][] rows) => rows.SelectMany(r => r.Select(v => (float)v)).ToArray();

    [Theory]
    [InlineData(false, false, 56, 42)]
    [InlineData(false, true, 28, 70)]
    [InlineData(true, false, 56, 42)]
    [InlineData(true, true, 84, 70)]
    [InlineData(true, false, 28, 28)]
    public void HfTowerEqualsTransformersReference(bool qwen25, bool nested, int width, int height)
    {
        using var folder = new TinyQwenVisionFolder(qwen25, nested);
        using var tower = LoadHf(folder);
        Assert.Equal(qwen25 ? VisionProjector.Qwen25Vl : VisionProjector.Qwen2Vl, tower.Options.Projector);
        Assert.Equal((784, 12544, 0.25f), (tower.Options.MinPixels, tower.Options.MaxPixels, tower.Options.Std[1]));
        var pixels = Pixels(width, height, 1);
        var ours = tower.EncodePixels(pixels, width, height);
        Assert.Equal(width * height / (14 * 14) * TinyQwenVisionFolder.TextHidden, ours.Length);
        DecoderChecks.AssertClose(Flat(new QwenVisionReference(folder).Forward(pixels, width, height)), ours, 1e-4, $"qwen{(qwen25 ? "2.5" : "2")}-vl {width}x{height}");
    }

    [Theory]
    [InlineData(true, "window")]
    [InlineData(false, "rotary")]
    [InlineData(true, "rotary")]
    [InlineData(false, "merge_order")]
    public void DroppingAStepIsCaught(bool qwen25, string drop)
    {
        using var folder = new TinyQwenVisionFolder(qwen25);
        using var tower = LoadHf(folder);
        var pixels = Pixels(84, 70, 2);
        var dropped = Flat(new QwenVisionReference(folder).Forward(pixels, 84, 70, drop));
        Assert.True(LogitErrors.RelativeMax(dropped, tower.EncodePixels(pixels, 84, 70)) > 1e-2, $"without {drop} the embeddings do not move");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MmprojGgufGivesTheFolderEmbeddings(bool qwen25)
    {
        // llama.cpp's windows are 112 pixels whatever the folder says: the folder's are too here
        using var folder = new TinyQwenVisionFolder(qwen25, window: 112);
        using var hf = LoadHf(folder);
        var path = Path.Combine(folder.Folder, "mmproj.gguf");
        ProjectorWriter.Write(hf.Options, (name, _) => folder.ByWriterName(name), "tiny qwen mmproj").Write(path);
        using var gguf = VisionLoader.LoadGguf(path, TinyQwenVisionFolder.TextHidden);
        // the file holds llama.cpp's bounds (8 to 4096 merged tokens), not the processor's, and the merger's GELU is llama.cpp's tanh form
        Assert.Equal(hf.Options with { MinPixels = 8 * 196, MaxPixels = 4096 * 196, ProjectorActivation = Activation.GeluTanh, Mean = gguf.Options.Mean, Std = gguf.Options.Std },
            gguf.Options);
        var pixels = Pixels(168, 140, 3);
        DecoderChecks.AssertClose(hf.EncodePixels(pixels, 168, 140), gguf.EncodePixels(pixels, 168, 140), 3e-3, "qwen mmproj vs folder");
    }

    [Fact]
    public void IrregularFullAttentionBlocksAreRefusedByKey()
    {
        using var folder = new TinyQwenVisionFolder(qwen25: true);
        var configPath = Path.Combine(folder.Folder, "config.json");
        File.WriteAllText(configPath, File.ReadAllText(configPath).Replace("\"fullatt_block_indexes\":[1]", "\"fullatt_block_indexes\":[0,3]"));
        var e = Assert.Throws<InvalidModelFileException>(() => LoadHf(folder));
        Assert.Contains("fullatt_block_indexes", e.Message);
    }

    [Theory]
    // sides rounded to the nearest multiple of 28 (halves to even), then bounded by min/max pixels with the aspect kept
    [InlineData(100, 60, 3136, 1003520, 112, 56)]
    [InlineData(42, 42, 784, 1003520, 56, 56)]
    [InlineData(70, 70, 784, 1003520, 56, 56)]
    [InlineData(20, 10, 3136, 1003520, 84, 56)]
    [InlineData(2000, 1000, 3136, 200704, 616, 308)]
    public void ImagesAreSizedAsSmartResize(int width, int height, int min, int max, int expectedWidth, int expectedHeight)
    {
        var o = SyntheticProjector.Options(VisionProjector.Qwen2Vl, 64) with { MinPixels = min, MaxPixels = max };
        Assert.Equal((expectedWidth, expectedHeight), VisionPreprocessor.Size(new RgbImage(width, height, new byte[width * height * 3]), o));
    }

    [Theory]
    [InlineData(VisionProjector.Qwen2Vl)]
    [InlineData(VisionProjector.Qwen25Vl)]
    public void ImageIsAGridBetweenVisionStartAndEnd(VisionProjector kind)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("moxing-qwen-prompt-").FullName, "mmproj.gguf");
        SyntheticProjector.Write(kind, 64, seed: 4).Write(path);
        using var tower = VisionLoader.LoadGguf(path, 64);
        using var cleanup = new DeleteOnDispose(Path.GetDirectoryName(path)!);
        var tokenizer = Tokenizer.FromGguf(WordVocabulary.Metadata(1000, ImagePrompt.VocabularyTokens(kind)).ToDictionary(kv => kv.Key, kv => kv.Value), "words");
        // 150 × 100 is sized 140 × 112: a grid of 5 × 4 merged patches
        var image = new PromptImage(new RgbImage(150, 100, [.. Enumerable.Range(0, 150 * 100 * 3).Select(i => (byte)(i * 31 % 251))]), 9);
        var encoded = ImagePrompt.Encode("<|im_start|>user\n" + ImagePrompt.Marker + "What is it?<|im_end|>\n", [image], tower, tokenizer, false);
        var pad = tokenizer.TokenToId(ImagePrompt.ImagePad)!.Value;
        int[] expected = [.. tokenizer.Encode("<|im_start|>user\n" + ImagePrompt.VisionStart, false), .. Enumerable.Repeat(pad, 20),
            .. tokenizer.Encode(ImagePrompt.VisionEnd + "What is it?<|im_end|>\n", false)];
        Assert.Equal(expected, encoded.Ids);
        var span = Assert.Single(encoded.Spans);
        Assert.Equal((20, 5, false), (span.Length, span.GridWidth, span.Bidirectional));
        DecoderChecks.AssertClose(tower.Encode(image.Image), span.Rows, 0, "qwen span");
    }

    private sealed class DeleteOnDispose(string folder) : IDisposable
    {
        public void Dispose() => Directory.Delete(folder, recursive: true);
    }
}
