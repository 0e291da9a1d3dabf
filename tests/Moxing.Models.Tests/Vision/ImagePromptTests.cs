using Moxing.Core.Formats.Images;
using Moxing.Models.Synthesis;
using Moxing.Models.Tests.Decoder;
using Moxing.Models.Vision;
using Moxing.Text.Tokenization;
using Moxing.Text.Tokenization.Gguf;

namespace Moxing.Models.Tests.Vision;

/// <summary>
/// Images enter a tokenized prompt as llama.cpp's mtmd puts them: Gemma 3's run between its boundary tokens (the ids a whole-text
/// tokenization of its placeholder tokens gives), LLaVA's run alone, Idefics3's tiles with their row/column tokens and the global view
/// last; each run's span holds its view's embeddings at the run's position.
/// </summary>
public sealed class ImagePromptTests : IDisposable
{
    private const int TextHidden = 64;
    private readonly string _folder = Directory.CreateTempSubdirectory("moxing-image-prompt-").FullName;

    private (VisionTower Tower, Tokenizer Tokenizer) Load(VisionProjector kind)
    {
        var path = Path.Combine(_folder, $"{kind}.gguf");
        SyntheticProjector.Write(kind, TextHidden, seed: 4).Write(path);
        var metadata = WordVocabulary.Metadata(1000, ImagePrompt.VocabularyTokens(kind)).ToDictionary(kv => kv.Key, kv => kv.Value);
        return (VisionLoader.LoadGguf(path, TextHidden), Tokenizer.FromGguf(metadata, "words"));
    }

    private static PromptImage Image(int width, int height) =>
        new(new RgbImage(width, height, [.. Enumerable.Range(0, width * height * 3).Select(i => (byte)(i * 31 % 251))]), 17);

    private static int[] Ids(Tokenizer t, params object[] parts) =>
        [.. parts.SelectMany(p => p is int[] run ? run : t.Encode((string)p, addSpecialTokens: false))];

    [Fact]
    public void Gemma3ImageTokensAreThoseOfItsPlaceholderText()
    {
        var (tower, tokenizer) = Load(VisionProjector.Gemma3);
        using var _ = tower;
        var encoded = ImagePrompt.Encode("<|im_start|>user\n" + ImagePrompt.Marker + "What is it?<|im_end|>\n", [Image(30, 20)], tower, tokenizer, false);
        var placeholders = string.Concat(Enumerable.Repeat(ImagePrompt.Placeholder, tower.Options.TokensPerImage));
        Assert.Equal(Ids(tokenizer, "<|im_start|>user\n\n\n<start_of_image>" + placeholders + "<end_of_image>\n\nWhat is it?<|im_end|>\n"), encoded.Ids);
        var span = Assert.Single(encoded.Spans);
        Assert.True(span.Bidirectional);
        Assert.Equal(tokenizer.TokenToId(ImagePrompt.Placeholder), encoded.Ids[span.Position]);
    }

    [Fact]
    public void LlavaImageIsItsRunAlone()
    {
        var (tower, tokenizer) = Load(VisionProjector.Mlp);
        using var _ = tower;
        var image = Image(112, 112);
        var encoded = ImagePrompt.Encode("USER: " + ImagePrompt.Marker + "\nWhat is it?", [image], tower, tokenizer, false);
        var run = Enumerable.Repeat(tokenizer.TokenToId(ImagePrompt.ImageToken)!.Value, 64).ToArray();
        Assert.Equal(Ids(tokenizer, "USER: ", run, "\nWhat is it?"), encoded.Ids);
        var span = Assert.Single(encoded.Spans);
        Assert.False(span.Bidirectional);
        Assert.Equal(tokenizer.Encode("USER: ", false).Length, span.Position);
        DecoderChecks.AssertClose(tower.Encode(image.Image), span.Rows, 0, "llava span");
    }

    [Fact]
    public void Idefics3TilesComeWithTheirRowAndColumnTokensThenTheGlobalView()
    {
        var (tower, tokenizer) = Load(VisionProjector.Idefics3);
        using var _ = tower;
        // 224 × 112 at a longest edge of 224: two 112² tiles side by side
        var image = Image(224, 112);
        var encoded = ImagePrompt.Encode("A" + ImagePrompt.Marker + "B", [image], tower, tokenizer, true);
        var run = Enumerable.Repeat(tokenizer.TokenToId(ImagePrompt.ImageToken)!.Value, 16).ToArray();
        Assert.Equal(Ids(tokenizer, "A<fake_token_around_image><row_1_col_1>", run, "<fake_token_around_image><row_1_col_2>", run,
            "\n\n<fake_token_around_image><global-img>", run, "<fake_token_around_image>B"), encoded.Ids);
        Assert.Equal(3, encoded.Spans.Count);
        Assert.Equal(3, encoded.Spans.Select(s => s.ContentHash).Distinct().Count());
        var views = VisionPreprocessor.Views(image.Image, tower.Options);
        for (var i = 0; i < 3; i++)
        {
            Assert.All(encoded.Ids.AsSpan(encoded.Spans[i].Position, 16).ToArray(), id => Assert.Equal(run[0], id));
            DecoderChecks.AssertClose(tower.Encode(views.Views[i]), encoded.Spans[i].Rows, 0, $"view {i}");
        }
    }

    [Fact]
    public void Idefics3RowBreaksAreTheNewlineTokenItself()
    {
        var (tower, tokenizer) = Load(VisionProjector.Idefics3);
        using var _ = tower;
        // 224²: 2 × 2 tiles; "\n" after a tile is the first token whose text it is, as llama.cpp looks it up — the byte token <0x0A>,
        // not the "\n" piece, nor a piece of text of its own (which would start with the word-start mark)
        var encoded = ImagePrompt.Encode(ImagePrompt.Marker, [Image(224, 224)], tower, tokenizer, false);
        Assert.Equal(5, encoded.Spans.Count);
        var newline = tokenizer.TokenToId("<0x0A>")!.Value;
        Assert.Equal([newline, .. tokenizer.Encode("<fake_token_around_image><row_2_col_1>", false)], encoded.Ids.AsSpan(encoded.Spans[1].End, 3).ToArray());
        Assert.Equal(tokenizer.TokenToId("\n\n"), encoded.Ids[encoded.Spans[3].End]);
    }

    [Fact]
    public void AMarkerTheTemplateDroppedIsNamed()
    {
        var (tower, tokenizer) = Load(VisionProjector.Mlp);
        using var _ = tower;
        var e = Assert.Throws<Core.MoxingException>(() => ImagePrompt.Encode("no image here", [Image(8, 8)], tower, tokenizer, false));
        Assert.Contains("the prompt holds 0 of the 1 images sent", e.Message);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
