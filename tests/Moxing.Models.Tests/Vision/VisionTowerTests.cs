using Moxing.Core;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Images;
using Moxing.Core.Ops;
using Moxing.Models.Tests.Decoder;
using Moxing.Models.Vision;
using Moxing.Tests;

namespace Moxing.Models.Tests.Vision;

/// <summary>
/// The vision towers (SigLIP + Gemma3MultiModalProjector, CLIP + LlavaMultiModalProjector, Idefics3's tower + connector) from a Hugging Face
/// folder equal <see cref="VisionReference"/>'s statement of transformers' code within 1e-4, in either nesting; the same weights as an
/// mmproj GGUF (llama.cpp's names and keys, F16 matrices) give the same embeddings; an engine without any of the steps that set the
/// projectors apart (pooling, soft norm, class token, feature layer, pre norm, pixel shuffle) would be caught.
/// </summary>
public class VisionTowerTests
{
    private static float[] Pixels(int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, 3 * TinyVisionFolder.ImageSize * TinyVisionFolder.ImageSize).Select(_ => random.NextSingle() * 2 - 1).ToArray();
    }

    // The folder's weights as llama.cpp's converters write an mmproj.
    private static Core.Formats.Gguf.GgufWriter Projector(TinyVisionFolder folder, VisionOptions o) =>
        ProjectorWriter.Write(o, (name, _) => folder.ByWriterName(name), "tiny mmproj");

    private static VisionTower LoadHf(TinyVisionFolder folder) =>
        VisionLoader.LoadHf(folder.Folder, HfConfig.Load(Path.Combine(folder.Folder, "config.json")), TinyVisionFolder.TextHidden)!;

    private static string WriteGguf(TinyVisionFolder folder, VisionTower hf)
    {
        var path = Path.Combine(folder.Folder, "mmproj.gguf");
        Projector(folder, hf.Options).Write(path);
        return path;
    }

    [Theory]
    [InlineData(VisionProjector.Gemma3, true)]
    [InlineData(VisionProjector.Gemma3, false)]
    [InlineData(VisionProjector.Mlp, true)]
    [InlineData(VisionProjector.Mlp, false)]
    [InlineData(VisionProjector.Idefics3, true)]
    public void HfTowerEqualsTransformersReference(VisionProjector kind, bool nested)
    {
        using var folder = new TinyVisionFolder(kind, nested);
        using var tower = LoadHf(folder);
        Assert.Equal(folder.Tokens, tower.Options.TokensPerImage);
        Assert.Equal(kind == VisionProjector.Mlp, tower.HasClassToken);
        var pixels = Pixels(1);
        var expected = new VisionReference(folder).Forward(pixels);
        DecoderChecks.AssertClose(expected.SelectMany(r => r.Select(v => (float)v)).ToArray(), tower.EncodePixels(pixels), 1e-4, $"{kind} vision");
    }

    [Theory]
    [InlineData(VisionProjector.Gemma3, "pool")]
    [InlineData(VisionProjector.Gemma3, "soft_norm")]
    [InlineData(VisionProjector.Mlp, "class_token")]
    [InlineData(VisionProjector.Mlp, "feature_layer")]
    [InlineData(VisionProjector.Mlp, "pre_norm")]
    [InlineData(VisionProjector.Idefics3, "pixel_shuffle")]
    public void DroppingAProjectorStepIsCaught(VisionProjector kind, string drop)
    {
        using var folder = new TinyVisionFolder(kind);
        using var tower = LoadHf(folder);
        var pixels = Pixels(2);
        var dropped = new VisionReference(folder).Forward(pixels, drop).SelectMany(r => r.Select(v => (float)v)).ToArray();
        var ours = tower.EncodePixels(pixels);
        Assert.True(dropped.Length != ours.Length || LogitErrors.RelativeMax(dropped, ours) > 1e-3, $"without {drop} the embeddings do not move");
    }

    [Theory]
    [InlineData(VisionProjector.Gemma3)]
    [InlineData(VisionProjector.Mlp)]
    [InlineData(VisionProjector.Idefics3)]
    public void MmprojGgufGivesTheFolderEmbeddings(VisionProjector kind)
    {
        using var folder = new TinyVisionFolder(kind);
        using var hf = LoadHf(folder);
        var path = WriteGguf(folder, hf);
        Assert.True(VisionLoader.IsProjectorFile(path));
        using var gguf = VisionLoader.LoadGguf(path, TinyVisionFolder.TextHidden);
        // llama.cpp's LLaVA projector uses the tanh GELU where transformers' projector_hidden_act "gelu" is erf's.
        VisionOptions Comparable(VisionOptions o) => o with { Mean = [], Std = [], ProjectorActivation = Activation.GeluTanh };
        Assert.Equal(Comparable(hf.Options), Comparable(gguf.Options));
        Assert.Equal(kind == VisionProjector.Mlp ? Activation.GeluTanh : hf.Options.ProjectorActivation, gguf.Options.ProjectorActivation);
        var pixels = Pixels(3);
        // F16 matrices (and the GELU forms): within their rounding.
        DecoderChecks.AssertClose(hf.EncodePixels(pixels), gguf.EncodePixels(pixels), 3e-3, $"{kind} mmproj vs folder");
    }

    [Fact]
    public void AProjectorOfAnotherWidthIsRefused()
    {
        using var folder = new TinyVisionFolder();
        using var hf = LoadHf(folder);
        var path = WriteGguf(folder, hf);
        var e = Assert.Throws<InvalidModelFileException>(() => VisionLoader.LoadGguf(path, 128));
        Assert.Contains("64 wide but the text model is 128 wide", e.Message);
    }

    [Theory]
    [InlineData("clip.projector_type", "llava", "projector type 'llava' is not supported; supported: gemma3, mlp, idefics3")]
    [InlineData("clip.vision.feature_layer", null, "stacked feature layers (granite vision) are not supported")]
    public void UnsupportedProjectorsAreRefusedByKey(string key, string? value, string message)
    {
        using var folder = new TinyVisionFolder(VisionProjector.Mlp);
        using var hf = LoadHf(folder);
        var path = Path.Combine(folder.Folder, "mmproj.gguf");
        Projector(folder, hf.Options).Remove(key).Set(key, value ?? (object)new[] { 2, 3 }).Write(path);
        Assert.Contains(message, Assert.Throws<InvalidModelFileException>(() => VisionLoader.LoadGguf(path, 64)).Message);
    }

    [Fact]
    public void LlavaFeatureLayerDefaultsToThePenultimateBlock()
    {
        using var folder = new TinyVisionFolder(VisionProjector.Mlp);
        var config = HfConfig.Load(Path.Combine(folder.Folder, "config.json"));
        Assert.Equal(2, VisionConfigs.FromHf(config, null, 64)!.BlocksRun);
        // an mmproj without clip.vision.feature_layer (the old converter dropped the last block itself) runs every stored block
        using var hf = LoadHf(folder);
        var path = Path.Combine(folder.Folder, "mmproj.gguf");
        Projector(folder, hf.Options with { FeatureLayer = null }).Write(path);
        using var gguf = VisionLoader.LoadGguf(path, 64);
        Assert.Equal(3, gguf.Options.BlocksRun);
    }

    [Fact]
    public void Idefics3ImagesAreCutIntoTilesAsLlamaCpp()
    {
        var o = Moxing.Models.Synthesis.SyntheticProjector.Options(VisionProjector.Idefics3, 64) with { ImageSize = 28, PatchSize = 7, LongestEdge = 56 };
        var wide = new RgbImage(56, 28, [.. Enumerable.Range(0, 56 * 28 * 3).Select(i => (byte)(i * 7))]);
        var views = VisionPreprocessor.Views(wide, o);
        Assert.Equal((1, 2, 3), (views.Rows, views.Columns, views.Views.Count));
        // the tiles are the halves of the image (its size is already the refined one), the global view the image itself
        Assert.Equal(wide[28, 5, 1], views.Views[1][0, 5, 1]);
        Assert.Equal(wide[27, 27, 2], views.Views[0][27, 27, 2]);
        Assert.Same(wide, views.Views[2]);
        // 30 × 20 scaled by 56 / 30 is 56 × 37.3, each side rounded up to whole tiles; without a longest edge, rounded to the nearest
        Assert.Equal((2, 2), Grid(new RgbImage(30, 20, new byte[30 * 20 * 3]), o));
        Assert.Equal((1, 2), Grid(new RgbImage(50, 20, new byte[50 * 20 * 3]), o with { LongestEdge = 0 }));
        Assert.Equal((0, 0), Grid(wide, o with { Projector = VisionProjector.Gemma3 }));
    }

    private static (int, int) Grid(RgbImage image, VisionOptions o)
    {
        var views = VisionPreprocessor.Views(image, o);
        return (views.Rows, views.Columns);
    }

    [Fact]
    public void ImagesAreResizedAsLlamaCppAndNormalized()
    {
        // A 2 × 2 image stretched to 3 × 3: corners kept, centre the mean of the four (truncated), then (v/255 − 0.5)/0.5.
        var image = new RgbImage(2, 2, [0, 0, 0, 100, 0, 0, 0, 0, 0, 201, 0, 0]);
        Assert.Equal(new byte[] { 0, 50, 100, 0, 75, 150, 0, 100, 201 }, VisionPreprocessor.Resize(image, 3, 3).Where((_, i) => i % 3 == 0).ToArray());
        var o = new VisionOptions
        {
            ImageSize = 2,
            PatchSize = 1,
            HiddenSize = 4,
            FeedForwardSize = 4,
            LayerCount = 1,
            HeadCount = 1,
            NormEps = 1e-6f,
            Mean = [0.5f, 0.5f, 0.5f],
            Std = [0.5f, 0.5f, 0.5f],
            TextHiddenSize = 4,
            MergeFactor = 1,
        };
        var pixels = VisionPreprocessor.Pixels(image, o);
        Assert.Equal(-1f, pixels[0]);
        Assert.Equal((201 / 255f - 0.5f) / 0.5f, pixels[3], 6);
    }
}
