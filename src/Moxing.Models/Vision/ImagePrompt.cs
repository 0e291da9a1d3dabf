using System.Buffers.Binary;
using System.Security.Cryptography;
using Moxing.Core;
using Moxing.Core.Formats.Images;
using Moxing.Models.Decoder;
using Moxing.Text.Tokenization;

namespace Moxing.Models.Vision;

/// <summary>An image of a prompt, decoded, with the hash of its pixels (cached prefixes of two different images never mix).</summary>
public sealed record PromptImage(RgbImage Image, ulong Hash)
{
    /// <summary>Decodes PNG or JPEG bytes (at most <paramref name="maxPixels"/> pixels).</summary>
    public static PromptImage Decode(ReadOnlySpan<byte> bytes, long maxPixels = ImageDecoder.DefaultMaxPixels)
    {
        var image = ImageDecoder.Decode(bytes, maxPixels);
        Span<byte> size = stackalloc byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(size, image.Width);
        BinaryPrimitives.WriteInt32LittleEndian(size[4..], image.Height);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(size);
        sha.AppendData(image.Pixels);
        return new PromptImage(image, BinaryPrimitives.ReadUInt64LittleEndian(sha.GetHashAndReset()));
    }
}

/// <summary>
/// Puts images into a prompt as the model's processor does: a message holds <see cref="Marker"/> where an image goes; the rendered
/// prompt has each marker replaced by the model's image text (Gemma 3: "\n\n&lt;start_of_image&gt;", 256 × &lt;image_soft_token&gt;,
/// "&lt;end_of_image&gt;\n\n", as transformers' Gemma3Processor writes it); after tokenizing, each run of placeholder tokens takes the
/// image's embeddings from the vision tower.
/// </summary>
public static class ImagePrompt
{
    /// <summary>What a message's text holds where an image goes, until <see cref="Expand"/>.</summary>
    public const string Marker = "<__moxing_image__>";

    /// <summary>Gemma 3's boundary and placeholder tokens.</summary>
    public const string Start = "<start_of_image>", End = "<end_of_image>", Placeholder = "<image_soft_token>";

    /// <summary>The rendered prompt <paramref name="text"/> with each of its <paramref name="images"/> markers replaced by the image text.</summary>
    public static string Expand(string text, VisionTower vision, int images)
    {
        var found = text.Split(Marker).Length - 1;
        if (found != images)
            throw new MoxingException($"the prompt holds {found} of the {images} images sent: the chat template left {images - found} out");
        var image = "\n\n" + Start + string.Concat(Enumerable.Repeat(Placeholder, vision.Options.TokensPerImage)) + End + "\n\n";
        return text.Replace(Marker, image, StringComparison.Ordinal);
    }

    /// <summary>
    /// The embedded spans of <paramref name="images"/> in the tokenized prompt <paramref name="ids"/>: each run of placeholder tokens, in
    /// order, encoded by <paramref name="vision"/> (bidirectional, as Gemma 3 attends within an image).
    /// </summary>
    public static IReadOnlyList<EmbeddedSpan> Spans(int[] ids, IReadOnlyList<PromptImage> images, VisionTower vision, Tokenizer tokenizer)
    {
        if (images.Count == 0) return [];
        var placeholder = tokenizer.TokenToId(Placeholder)
                          ?? throw new MoxingException($"the model's vocabulary has no {Placeholder} token, so images cannot be placed in its prompt");
        var length = vision.Options.TokensPerImage;
        var spans = new List<EmbeddedSpan>(images.Count);
        for (var i = 0; i < ids.Length && spans.Count < images.Count; i++)
        {
            if (ids[i] != placeholder) continue;
            if (i + length > ids.Length || ids.AsSpan(i, length).ContainsAnyExcept(placeholder))
                throw new MoxingException($"the prompt's image at token {i} is not {length} placeholder tokens long");
            var image = images[spans.Count];
            spans.Add(new EmbeddedSpan(i, length, vision.Encode(image.Image), Bidirectional: true, image.Hash));
            i += length - 1;
        }
        if (spans.Count != images.Count) throw new MoxingException($"the prompt holds {spans.Count} of the {images.Count} images sent");
        return spans;
    }
}
