using Moxing.Core;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Images;
using Moxing.Models.Tests.Decoder;
using Moxing.Models.Vision;
using Moxing.Tests;

namespace Moxing.Models.Tests.Vision;

/// <summary>
/// The Gemma 3 vision tower (SigLIP + Gemma3MultiModalProjector) from a Hugging Face folder equals <see cref="VisionReference"/>'s
/// statement of transformers' code within 1e-4, in either nesting; the same weights as an mmproj GGUF (llama.cpp's names, F16
/// matrices, 1 + w soft norm) give the same embeddings; an engine without the pooling or the soft norm would be caught.
/// </summary>
public class VisionTowerTests
{
    private static float[] Pixels(int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, 3 * TinyVisionFolder.ImageSize * TinyVisionFolder.ImageSize).Select(_ => random.NextSingle() * 2 - 1).ToArray();
    }

    // The folder's weights as llama.cpp's converter writes an mmproj.
    private static Core.Formats.Gguf.GgufWriter Projector(TinyVisionFolder folder, VisionOptions o) =>
        ProjectorWriter.Write(o, (name, _) => folder.Weights[(name.StartsWith("mm_", StringComparison.Ordinal) ? "projector." : "tower.") + name], "tiny gemma3 mmproj");

    private static VisionTower LoadHf(TinyVisionFolder folder) =>
        VisionLoader.LoadHf(folder.Folder, HfConfig.Load(Path.Combine(folder.Folder, "config.json")), TinyVisionFolder.TextHidden)!;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void HfTowerEqualsTransformersReference(bool nested)
    {
        using var folder = new TinyVisionFolder(nested);
        using var tower = LoadHf(folder);
        Assert.Equal(TinyVisionFolder.Tokens, tower.Options.TokensPerImage);
        var pixels = Pixels(1);
        var expected = new VisionReference(folder.Weights).Forward(pixels);
        DecoderChecks.AssertClose(expected.SelectMany(r => r.Select(v => (float)v)).ToArray(), tower.EncodePixels(pixels), 1e-4, "gemma3 vision");
    }

    [Theory]
    [InlineData("pool")]
    [InlineData("soft_norm")]
    public void DroppingAProjectorStepIsCaught(string drop)
    {
        using var folder = new TinyVisionFolder();
        using var tower = LoadHf(folder);
        var pixels = Pixels(2);
        var dropped = new VisionReference(folder.Weights).Forward(pixels, drop).SelectMany(r => r.Select(v => (float)v)).ToArray();
        var ours = tower.EncodePixels(pixels);
        Assert.True(dropped.Length != ours.Length || LogitErrors.RelativeMax(dropped, ours) > 1e-3, $"without {drop} the embeddings do not move");
    }

    [Fact]
    public void MmprojGgufGivesTheFolderEmbeddings()
    {
        using var folder = new TinyVisionFolder();
        using var hf = LoadHf(folder);
        var path = Path.Combine(folder.Folder, "mmproj.gguf");
        Projector(folder, hf.Options).Write(path);
        Assert.True(VisionLoader.IsProjectorFile(path));
        using var gguf = VisionLoader.LoadGguf(path, TinyVisionFolder.TextHidden);
        Assert.Equal(hf.Options with { Mean = [], Std = [] }, gguf.Options with { Mean = [], Std = [] });
        var pixels = Pixels(3);
        // F16 matrices: within their rounding.
        DecoderChecks.AssertClose(hf.EncodePixels(pixels), gguf.EncodePixels(pixels), 2e-3, "mmproj vs folder");
    }

    [Fact]
    public void AProjectorOfAnotherWidthIsRefused()
    {
        using var folder = new TinyVisionFolder();
        using var hf = LoadHf(folder);
        var path = Path.Combine(folder.Folder, "mmproj.gguf");
        Projector(folder, hf.Options).Write(path);
        var e = Assert.Throws<InvalidModelFileException>(() => VisionLoader.LoadGguf(path, 128));
        Assert.Contains("64 wide but the text model is 128 wide", e.Message);
    }

    [Fact]
    public void AMissingTensorIsNamed()
    {
        using var folder = new TinyVisionFolder();
        using var hf = LoadHf(folder);
        var path = Path.Combine(folder.Folder, "mmproj.gguf");
        var w = Projector(folder, hf.Options);
        w.Remove("clip.projector_type").Set("clip.projector_type", "llava").Write(path);
        Assert.Contains("projector type 'llava' is not supported", Assert.Throws<InvalidModelFileException>(() => VisionLoader.LoadGguf(path, 64)).Message);
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
