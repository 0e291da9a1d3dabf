using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
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

/// <summary>A tokenized prompt and the embedded spans of its images.</summary>
public sealed record EncodedPrompt(int[] Ids, IReadOnlyList<EmbeddedSpan> Spans);

/// <summary>
/// Puts images into a prompt as llama.cpp's mtmd does: a message holds <see cref="Marker"/> where an image goes; each marker becomes the
/// projector's image text around runs of embeddings — Gemma 3: "\n\n&lt;start_of_image&gt;" run "&lt;end_of_image&gt;\n\n" (as
/// transformers' Gemma3Processor writes it); LLaVA: the run alone; Idefics3: per tile "&lt;fake_token_around_image&gt;&lt;row_r_col_c&gt;"
/// run, "\n" between tile rows, then "\n\n&lt;fake_token_around_image&gt;&lt;global-img&gt;" run "&lt;fake_token_around_image&gt;"; Qwen2-VL:
/// "&lt;|vision_start|&gt;" run "&lt;|vision_end|&gt;" (the chat template's image with its &lt;|image_pad|&gt; repeated, one per merged patch), the
/// run a grid of M-RoPE positions (<see cref="EmbeddedSpan.GridWidth"/>).
/// The text between runs is tokenized piece by piece (as mtmd tokenizes its text chunks); each run holds the vocabulary's image
/// placeholder token (or the unknown token) and takes its view's embeddings from the vision tower.
/// </summary>
public static class ImagePrompt
{
    /// <summary>What a message's text holds where an image goes, until <see cref="Encode"/>.</summary>
    public const string Marker = "<__moxing_image__>";

    /// <summary>Gemma 3's boundary and placeholder tokens.</summary>
    public const string Start = "<start_of_image>", End = "<end_of_image>", Placeholder = "<image_soft_token>";

    /// <summary>LLaVA's and Idefics3's placeholder token.</summary>
    public const string ImageToken = "<image>";

    /// <summary>Idefics3's boundary tokens.</summary>
    public const string AroundImage = "<fake_token_around_image>", GlobalImage = "<global-img>";

    /// <summary>Qwen2-VL's boundary and placeholder tokens.</summary>
    public const string VisionStart = "<|vision_start|>", VisionEnd = "<|vision_end|>", ImagePad = "<|image_pad|>";

    // Where a run of embeddings goes in the expanded text, and where a token goes that llama.cpp looks up by its text (not tokenized
    // with its neighbours: an SPM vocabulary would put a word-start mark before a "\n" that begins a piece of text).
    private const string Run = "<__moxing_image_run__>", RowBreak = "<__moxing_image_newline__>", GlobalBreak = "<__moxing_image_newlines__>";

    /// <summary>
    /// The tokens a vocabulary needs for the images of a <paramref name="projector"/> (Idefics3: tiles up to <paramref name="maxGrid"/>
    /// per side, and "\n\n" as one token, which llama.cpp looks up by its text).
    /// </summary>
    public static IReadOnlyList<string> VocabularyTokens(VisionProjector projector, int maxGrid = 4) => projector switch
    {
        VisionProjector.Gemma3 => [Start, End, Placeholder],
        VisionProjector.Mlp => [ImageToken],
        VisionProjector.Qwen2Vl or VisionProjector.Qwen25Vl => [VisionStart, VisionEnd, ImagePad],
        _ => [AroundImage, GlobalImage, ImageToken, "\n\n", .. Enumerable.Range(1, maxGrid).SelectMany(r => Enumerable.Range(1, maxGrid).Select(c => Tile(r, c)))],
    };

    /// <summary>
    /// Tokenizes the rendered prompt <paramref name="text"/> (with <paramref name="addSpecialTokens"/>: the tokenizer's BOS and the like around
    /// it) with each of its markers replaced by the image text of <paramref name="images"/>, in order, and encodes each view into its run's span
    /// (bidirectional for Gemma 3, whose image tokens attend to each other both ways).
    /// </summary>
    public static EncodedPrompt Encode(string text, IReadOnlyList<PromptImage> images, VisionTower vision, Tokenizer tokenizer, bool addSpecialTokens)
    {
        var parts = text.Split(Marker);
        if (parts.Length - 1 != images.Count)
            throw new MoxingException($"the prompt holds {parts.Length - 1} of the {images.Count} images sent: the chat template left {images.Count - parts.Length + 1} out");
        var o = vision.Options;
        var views = images.Select(i => VisionPreprocessor.Views(i.Image, o)).ToArray();
        var expanded = new StringBuilder(parts[0]);
        for (var i = 0; i < images.Count; i++) expanded.Append(ImageText(views[i], o.Projector)).Append(parts[i + 1]);
        var placeholder = tokenizer.TokenToId(o.Projector switch
        {
            VisionProjector.Gemma3 => Placeholder,
            VisionProjector.Qwen2Vl or VisionProjector.Qwen25Vl => ImagePad,
            _ => ImageToken,
        }) ?? tokenizer.UnkTokenId ?? 0;
        var ids = new List<int>(addSpecialTokens ? tokenizer.PrefixSpecialIds : []);
        var spans = new List<EmbeddedSpan>();
        var segments = expanded.ToString().Split(Run);
        int image = 0, view = 0;
        for (var s = 0; s < segments.Length; s++)
        {
            EncodeText(segments[s], tokenizer, ids);
            if (s == segments.Length - 1) break;
            var source = images[image];
            // each view of an image is its own content: the hash of the image and the view's index
            var hash = source.Hash + (ulong)view * 0x9E3779B97F4A7C15UL;
            var rows = vision.Encode(views[image].Views[view]);
            var length = rows.Length / o.TextHiddenSize;
            // a dynamic-size image's tokens are a grid of its merge squares, row by row
            var gridWidth = o.DynamicSize ? VisionPreprocessor.Size(views[image].Views[view], o).Width / o.SizeFactor : 0;
            spans.Add(new EmbeddedSpan(ids.Count, length, rows, o.Projector == VisionProjector.Gemma3, hash) { GridWidth = gridWidth });
            ids.AddRange(Enumerable.Repeat(placeholder, length));
            if (++view == views[image].Views.Count) (image, view) = (image + 1, 0);
        }
        if (addSpecialTokens) ids.AddRange(tokenizer.SuffixSpecialIds);
        return new EncodedPrompt([.. ids], spans);
    }

    private static string ImageText(ImageViews views, VisionProjector projector)
    {
        if (projector == VisionProjector.Gemma3) return "\n\n" + Start + Run + End + "\n\n";
        if (projector == VisionProjector.Mlp) return Run;
        if (projector is VisionProjector.Qwen2Vl or VisionProjector.Qwen25Vl) return VisionStart + Run + VisionEnd;
        var text = new StringBuilder();
        for (var r = 0; r < views.Rows; r++)
        {
            if (r > 0) text.Append(RowBreak);
            for (var c = 0; c < views.Columns; c++) text.Append(AroundImage).Append(Tile(r + 1, c + 1)).Append(Run);
        }
        return text.Append(GlobalBreak).Append(AroundImage).Append(GlobalImage).Append(Run).Append(AroundImage).ToString();
    }

    // Text between runs, its breaks as their tokens.
    private static void EncodeText(string text, Tokenizer tokenizer, List<int> ids)
    {
        var rows = text.Split(RowBreak);
        for (var r = 0; r < rows.Length; r++)
        {
            if (r > 0) ids.Add(PieceId(tokenizer, "\n"));
            var parts = rows[r].Split(GlobalBreak);
            for (var g = 0; g < parts.Length; g++)
            {
                if (g > 0) ids.Add(PieceId(tokenizer, "\n\n"));
                ids.AddRange(tokenizer.Encode(parts[g], addSpecialTokens: false));
            }
        }
    }

    // The first token whose text is the piece (mtmd's lookup_token: an SPM vocabulary's byte token <0x0A> comes before a "\n" piece).
    private static int PieceId(Tokenizer tokenizer, string piece) => PieceIds.GetOrCreateValue(tokenizer).GetOrAdd(piece, p =>
        Enumerable.Range(0, tokenizer.VocabSize).Cast<int?>().FirstOrDefault(id => tokenizer.Decode([id!.Value], skipSpecialTokens: false) == p)
        ?? throw new MoxingException($"the model's vocabulary has no token for {JsonEscaped(p)}, which its images' text needs"));

    private static readonly ConditionalWeakTable<Tokenizer, ConcurrentDictionary<string, int>> PieceIds = new();

    // the piece as a JSON string (escaped without the serializer, which trimming and NativeAOT refuse)
    private static string JsonEscaped(string text) => $"\"{System.Text.Json.JsonEncodedText.Encode(text)}\"";

    private static string Tile(int row, int column) => string.Create(CultureInfo.InvariantCulture, $"<row_{row}_col_{column}>");
}
