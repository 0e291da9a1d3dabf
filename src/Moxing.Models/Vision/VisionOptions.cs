using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;

namespace Moxing.Models.Vision;

/// <summary>
/// A SigLIP-style vision transformer and its projector: square images of <see cref="ImageSize"/> pixels cut into patches of
/// <see cref="PatchSize"/>, learned positions, pre-norm LayerNorm blocks with biased projections, a post LayerNorm, then Gemma 3's projector
/// (average pool, soft embedding RMSNorm, one matrix) into <see cref="TextHiddenSize"/>. Read from an mmproj GGUF's clip.* keys or a Hugging Face config's vision_config.
/// </summary>
public sealed record VisionOptions
{
    /// <summary>Side of the square image the tower takes, in pixels.</summary>
    public required int ImageSize { get; init; }

    /// <summary>Side of a patch, in pixels.</summary>
    public required int PatchSize { get; init; }

    /// <summary>Width of the tower.</summary>
    public required int HiddenSize { get; init; }

    /// <summary>Width of its feed-forward layers.</summary>
    public required int FeedForwardSize { get; init; }

    /// <summary>Transformer blocks.</summary>
    public required int LayerCount { get; init; }

    /// <summary>Attention heads.</summary>
    public required int HeadCount { get; init; }

    /// <summary>Epsilon of its LayerNorms (and of Gemma 3's soft embedding norm).</summary>
    public required float NormEps { get; init; }

    /// <summary>Per-channel mean subtracted from pixels scaled to [0, 1].</summary>
    public required float[] Mean { get; init; }

    /// <summary>Per-channel standard deviation pixels are divided by after the mean.</summary>
    public required float[] Std { get; init; }

    /// <summary>Width of the text model the projector feeds.</summary>
    public required int TextHiddenSize { get; init; }

    /// <summary>Gemma 3: side of the average-pooling window over the patch grid (4: 64² patches become 16² = 256 tokens).</summary>
    public int PoolKernel { get; init; } = 4;

    /// <summary>The feed-forward activation (SigLIP's gelu_pytorch_tanh).</summary>
    public Activation Activation { get; init; } = Activation.GeluTanh;

    /// <summary>Patches along a side.</summary>
    public int PatchesPerSide => ImageSize / PatchSize;

    /// <summary>Embeddings one image becomes in the text model.</summary>
    public int TokensPerImage => (PatchesPerSide / PoolKernel) * (PatchesPerSide / PoolKernel);

    /// <summary>Checks the shapes fit together, naming <paramref name="path"/> in the error.</summary>
    public VisionOptions Validated(string path)
    {
        if (ImageSize <= 0 || PatchSize <= 0 || ImageSize % PatchSize != 0)
            throw new InvalidModelFileException(path, $"image size {ImageSize} is not a positive multiple of the patch size {PatchSize}");
        if (HeadCount <= 0 || HiddenSize % HeadCount != 0)
            throw new InvalidModelFileException(path, $"vision width {HiddenSize} is not a multiple of its {HeadCount} heads");
        if (PoolKernel <= 0 || PatchesPerSide % PoolKernel != 0)
            throw new InvalidModelFileException(path, $"the {PatchesPerSide} patches per side do not pool by {PoolKernel}");
        if (Mean.Length != 3 || Std.Length != 3 || Std.Any(s => s <= 0))
            throw new InvalidModelFileException(path, "image mean and std need three values each (std positive)");
        return this;
    }

    /// <summary>The tower of an mmproj GGUF (general.architecture clip, clip.projector_type); unsupported projectors are refused by name.</summary>
    public static VisionOptions FromGguf(GgufFile file, string path)
    {
        var m = file.Metadata;
        if (!m.TryGetBool("clip.has_vision_encoder", out var vision) || !vision)
            throw new InvalidModelFileException(path, "the projector file has no vision encoder (clip.has_vision_encoder)");
        var type = m.TryGetString("clip.vision.projector_type", out var v) ? v : m.TryGetString("clip.projector_type", out var p) ? p : null;
        if (type != "gemma3")
            throw new InvalidModelFileException(path, $"vision projector type '{type ?? "(none)"}' is not supported; supported: gemma3");
        return new VisionOptions
        {
            ImageSize = m.GetInt32("clip.vision.image_size"),
            PatchSize = m.GetInt32("clip.vision.patch_size"),
            HiddenSize = m.GetInt32("clip.vision.embedding_length"),
            FeedForwardSize = m.GetInt32("clip.vision.feed_forward_length"),
            LayerCount = m.GetInt32("clip.vision.block_count"),
            HeadCount = m.GetInt32("clip.vision.attention.head_count"),
            NormEps = m.TryGetSingle("clip.vision.attention.layer_norm_epsilon", out var eps) ? eps : 1e-6f,
            Mean = m.GetArray<float>("clip.vision.image_mean"),
            Std = m.GetArray<float>("clip.vision.image_std"),
            TextHiddenSize = m.GetInt32("clip.vision.projection_dim"),
            PoolKernel = m.TryGetInt32("clip.vision.projector.scale_factor", out var k) ? k : 4,
        }.Validated(path);
    }

    /// <summary>
    /// The tower of a Hugging Face Gemma3ForConditionalGeneration config (model_type gemma3): its vision_config (SiglipVisionConfig's
    /// defaults), mm_tokens_per_image and the text model's width; <paramref name="preprocessor"/> is preprocessor_config.json when present.
    /// </summary>
    public static VisionOptions FromHf(HfConfig config, HfConfig? preprocessor, int textHidden)
    {
        var v = config.GetSection("vision_config").WithDefaults("""
            {"hidden_size": 1152, "intermediate_size": 4304, "num_hidden_layers": 27, "num_attention_heads": 16, "image_size": 896,
             "patch_size": 14, "layer_norm_eps": 1e-6}
            """);
        var side = (int)Math.Round(Math.Sqrt(config.GetInt("mm_tokens_per_image", 256)));
        var patches = v.GetInt("image_size") / Math.Max(1, v.GetInt("patch_size"));
        float[] Channels(string key) => preprocessor != null && preprocessor.TryGetFloatList(key, out var values) ? values : [0.5f, 0.5f, 0.5f];
        return new VisionOptions
        {
            ImageSize = v.GetInt("image_size"),
            PatchSize = v.GetInt("patch_size"),
            HiddenSize = v.GetInt("hidden_size"),
            FeedForwardSize = v.GetInt("intermediate_size"),
            LayerCount = v.GetInt("num_hidden_layers"),
            HeadCount = v.GetInt("num_attention_heads"),
            NormEps = v.GetFloat("layer_norm_eps"),
            Mean = Channels("image_mean"),
            Std = Channels("image_std"),
            TextHiddenSize = textHidden,
            PoolKernel = side > 0 ? patches / side : 0,
        }.Validated(config.FilePath);
    }
}
