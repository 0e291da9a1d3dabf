using Moxing.Core;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Vision;

/// <summary>Which projector maps the vision tower's output into the text model (llama.cpp's clip.projector_type).</summary>
public enum VisionProjector
{
    /// <summary>Gemma 3 ("gemma3"): average pool of the patch grid, soft embedding RMSNorm, one matrix.</summary>
    Gemma3,

    /// <summary>LLaVA ("mlp"): two biased linear layers with a GELU between, one token per patch.</summary>
    Mlp,

    /// <summary>Idefics3 / SmolVLM ("idefics3"): pixel shuffle of the patch grid by the merge factor, one linear layer.</summary>
    Idefics3,

    /// <summary>Qwen2-VL ("qwen2vl_merger"): images of any size, 2-D rotary ViT, each 2 × 2 patches merged by LayerNorm and a GELU MLP.</summary>
    Qwen2Vl,

    /// <summary>Qwen2.5-VL ("qwen2.5vl_merger"): Qwen2-VL's tower with RMSNorm, SwiGLU and window attention between full-attention blocks.</summary>
    Qwen25Vl,
}

/// <summary>
/// A ViT vision tower and its projector: square images of <see cref="ImageSize"/> pixels cut into patches of <see cref="PatchSize"/>,
/// an optional class token (CLIP), learned positions, an optional pre LayerNorm (CLIP), pre-norm LayerNorm blocks with biased projections,
/// an optional post LayerNorm, then the <see cref="Projector"/> into <see cref="TextHiddenSize"/>. Read from an mmproj GGUF's clip.* keys
/// (<see cref="VisionConfigs.FromGguf"/>) or a Hugging Face config's vision_config (<see cref="VisionConfigs.FromHf"/>).
/// </summary>
public sealed record VisionOptions
{
    /// <summary>Side of the square image (or tile) the tower takes, in pixels.</summary>
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

    /// <summary>The projector.</summary>
    public VisionProjector Projector { get; init; } = VisionProjector.Gemma3;

    /// <summary>
    /// Side of the square of patches that becomes one token: Gemma 3's average-pooling window (4: 64² patches become 16² = 256 tokens),
    /// Idefics3's pixel-shuffle scale factor; 1 for LLaVA.
    /// </summary>
    public int MergeFactor { get; init; } = 4;

    /// <summary>
    /// The hidden state the projector reads, as transformers indexes hidden_states: the output of this many blocks (LLaVA reads the
    /// penultimate one); null for the last block's.
    /// </summary>
    public int? FeatureLayer { get; init; }

    /// <summary>The feed-forward activation of the tower (SigLIP's gelu_pytorch_tanh, CLIP's quick_gelu).</summary>
    public Activation Activation { get; init; } = Activation.GeluTanh;

    /// <summary>The activation between LLaVA's two projector layers (transformers' projector_hidden_act; llama.cpp's tanh GELU).</summary>
    public Activation ProjectorActivation { get; init; } = Activation.GeluTanh;

    /// <summary>
    /// Idefics3: the longer side, in pixels, an image is scaled to before it is cut into tiles of <see cref="ImageSize"/> (each side
    /// rounded up to whole tiles, as llama.cpp's preprocessor does); the tiles and a global view of the whole image are encoded.
    /// 0: the image's own size rounded to whole tiles.
    /// </summary>
    public int LongestEdge { get; init; }

    /// <summary>The norm of the blocks and the post norm (Qwen2.5-VL's RMSNorm; LayerNorm otherwise).</summary>
    public NormKind NormKind { get; init; } = NormKind.Layer;

    /// <summary>
    /// Qwen2.5-VL: side in pixels of the square windows its blocks attend within (window_size; llama.cpp's 112), except every
    /// <see cref="FullAttentionEvery"/>-th block; 0: every block attends to every patch.
    /// </summary>
    public int WindowSize { get; init; }

    /// <summary>Qwen2.5-VL: block i attends to every patch when (i + 1) is a multiple of this (fullatt_block_indexes, llama.cpp's n_wa_pattern).</summary>
    public int FullAttentionEvery { get; init; }

    /// <summary>Qwen2-VL: the fewest and most pixels an image is resized to hold (min_pixels, max_pixels).</summary>
    public int MinPixels { get; init; }

    /// <inheritdoc cref="MinPixels"/>
    public int MaxPixels { get; init; }

    /// <summary>Whether images keep their aspect and size (within <see cref="MinPixels"/>..<see cref="MaxPixels"/>) rather than become squares of <see cref="ImageSize"/>.</summary>
    public bool DynamicSize => Projector is VisionProjector.Qwen2Vl or VisionProjector.Qwen25Vl;

    /// <summary>Side in pixels of the square an image's sides are multiples of (Qwen2-VL: patch × merge, 28).</summary>
    public int SizeFactor => PatchSize * MergeFactor;

    /// <summary>Patches along a side.</summary>
    public int PatchesPerSide => ImageSize / PatchSize;

    /// <summary>Blocks run before the projector.</summary>
    public int BlocksRun => FeatureLayer ?? LayerCount;

    /// <summary>Embeddings one encoded image (or tile) becomes in the text model.</summary>
    public int TokensPerImage => (PatchesPerSide / MergeFactor) * (PatchesPerSide / MergeFactor);

    /// <summary>Width of the tokens the projector takes (Idefics3's pixel shuffle stacks a merge square of patches).</summary>
    public int ProjectorInputSize => Projector is VisionProjector.Idefics3 || DynamicSize ? HiddenSize * MergeFactor * MergeFactor : HiddenSize;

    /// <summary>Checks the shapes fit together, naming <paramref name="path"/> in the error.</summary>
    public VisionOptions Validated(string path)
    {
        if (ImageSize <= 0 || PatchSize <= 0 || ImageSize % PatchSize != 0)
            throw new InvalidModelFileException(path, $"image size {ImageSize} is not a positive multiple of the patch size {PatchSize}");
        if (HeadCount <= 0 || HiddenSize % HeadCount != 0)
            throw new InvalidModelFileException(path, $"vision width {HiddenSize} is not a multiple of its {HeadCount} heads");
        if (MergeFactor <= 0 || PatchesPerSide % MergeFactor != 0)
            throw new InvalidModelFileException(path, $"the {PatchesPerSide} patches per side do not merge by {MergeFactor}");
        if (Projector == VisionProjector.Mlp && MergeFactor != 1)
            throw new InvalidModelFileException(path, $"a LLaVA projector takes one token per patch, not merges of {MergeFactor}");
        if (FeatureLayer is < 0 || FeatureLayer > LayerCount)
            throw new InvalidModelFileException(path, $"feature layer {FeatureLayer} is outside the tower's {LayerCount} blocks");
        if (DynamicSize && (MinPixels <= 0 || MaxPixels < MinPixels))
            throw new InvalidModelFileException(path, $"image pixel bounds {MinPixels}..{MaxPixels} are not a positive range");
        if (WindowSize > 0 && (FullAttentionEvery <= 0 || WindowSize % SizeFactor != 0))
            throw new InvalidModelFileException(path, $"attention windows of {WindowSize} pixels need whole merged patches of {SizeFactor} and a full-attention pattern (got {FullAttentionEvery})");
        if (DynamicSize && HiddenSize / HeadCount % 4 != 0)
            throw new InvalidModelFileException(path, $"vision heads {HiddenSize / HeadCount} wide do not split into the four quarters of 2-D rotary");
        if (Mean.Length != 3 || Std.Length != 3 || Std.Any(s => s <= 0))
            throw new InvalidModelFileException(path, "image mean and std need three values each (std positive)");
        return this;
    }
}
