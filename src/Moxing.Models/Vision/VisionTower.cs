using System.Numerics.Tensors;
using Moxing.Core.Formats.Images;
using Moxing.Core.Kernels;
using Moxing.Core.Ops;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Layers;

namespace Moxing.Models.Vision;

/// <summary>One pre-norm block of the tower: LayerNorm, biased multi-head attention over every patch, LayerNorm, biased MLP.</summary>
internal sealed record VisionBlock(Norm Norm1, Linear Query, Linear Key, Linear Value, Linear Output, Norm Norm2, Linear Up, Linear Down);

/// <summary>
/// A vision encoder (SigLIP, CLIP, Idefics3's) and its projector (<see cref="VisionProjector"/>): an image becomes
/// <see cref="VisionOptions.TokensPerImage"/> embeddings of the text model's width, which enter the decoder in place of the image's
/// placeholder tokens. Runs on the same kernels as the decoder.
/// </summary>
public sealed class VisionTower : IDisposable
{
    private readonly IDisposable _owner;
    private readonly TensorArena _arena;
    private readonly Linear _patch;
    private readonly float[]? _classEmbedding;
    private readonly float[] _positions;
    private readonly Norm? _preNorm, _postNorm;
    private readonly VisionBlock[] _blocks;
    private readonly VisionProjection _projection;

    /// <summary>The tower's shape and preprocessing.</summary>
    public VisionOptions Options { get; }

    /// <summary>Whether a class token goes before the patches (CLIP); its output is dropped before the projector.</summary>
    public bool HasClassToken => _classEmbedding != null;

    private VisionTower(VisionOptions options, Linear patch, float[]? classEmbedding, float[] positions, Norm? preNorm, VisionBlock[] blocks,
        Norm? postNorm, VisionProjection projection, TensorArena arena, IDisposable owner)
    {
        (Options, _patch, _classEmbedding, _positions, _preNorm, _blocks, _postNorm, _projection, _arena, _owner) =
            (options, patch, classEmbedding, positions, preNorm, blocks, postNorm, projection, arena, owner);
    }

    /// <summary>
    /// Binds the tower's tensors in <paramref name="source"/> (which it then owns); the class embedding, pre norm and post norm are used
    /// when <paramref name="names"/> names them and the source has them. See <see cref="VisionProjection.Load"/> for <paramref name="softNormOffset"/>.
    /// </summary>
    internal static VisionTower Load(VisionOptions o, ITensorSource source, VisionTensorNames names, float softNormOffset, string path)
    {
        var arena = new TensorArena();
        try
        {
            var w = new VisionWeights(source, path, arena);
            int h = o.HiddenSize, ff = o.FeedForwardSize, p = o.PatchSize, patches = o.PatchesPerSide * o.PatchesPerSide;
            // The convolution's [hidden, 3, p, p] kernel is a [hidden, 3·p·p] matrix over each patch's pixels in (channel, row, column) order.
            var kernel = w.Shaped(names.Patch + ".weight", h, 3, p, p);
            var patch = new Linear(Reshaped(kernel, h, 3L * p * p), w.Find(names.Patch + ".bias") != null ? w.Vector(names.Patch + ".bias", h) : null);
            var classEmbedding = w.Find(names.ClassEmbedding) != null ? w.Vector(names.ClassEmbedding!, h) : null;
            var tokens = patches + (classEmbedding != null ? 1 : 0);
            var positions = w.Shaped(names.Positions, tokens, h).ToFloats(tokens * h, path);
            Norm? Optional(string? name) => name != null && w.Find(name + ".weight") != null ? w.LayerNorm(name, h, o.NormEps) : null;
            var (preNorm, postNorm) = (Optional(names.PreNorm), Optional(names.PostNorm));
            var blocks = new VisionBlock[o.BlocksRun];
            for (var i = 0; i < blocks.Length; i++)
            {
                string B(string part) => names.InBlock(i, part);
                // llama.cpp's loader swaps an older mmproj's up and down when ffn_down is the one that widens.
                var (up, down) = (B(names.Up), B(names.Down));
                if (source.Find(down + ".weight") is { Shape: [var rows, _] } && rows == ff && ff != h) (up, down) = (down, up);
                blocks[i] = new VisionBlock(w.LayerNorm(B(names.Norm1), h, o.NormEps), w.Dense(B(names.Query), h, h), w.Dense(B(names.Key), h, h),
                    w.Dense(B(names.Value), h, h), w.Dense(B(names.Output), h, h), w.LayerNorm(B(names.Norm2), h, o.NormEps), w.Dense(up, ff, h), w.Dense(down, h, ff));
            }
            return new VisionTower(o, patch, classEmbedding, positions, preNorm, blocks, postNorm, VisionProjection.Load(o, w, names, softNormOffset), arena, source);
        }
        catch
        {
            arena.Dispose();
            throw;
        }
    }

    private static unsafe StoredTensor Reshaped(StoredTensor t, params long[] shape) => new(t.Name, t.Type, shape, t.Data, t.ByteLength);

    /// <summary>The text-model embeddings [<see cref="VisionOptions.TokensPerImage"/>, text width] of <paramref name="image"/>.</summary>
    public float[] Encode(RgbImage image) => EncodePixels(VisionPreprocessor.Pixels(image, Options));

    /// <summary>The embeddings of preprocessed pixels ([3, size, size], normalized) as <see cref="Encode"/> gives them.</summary>
    public float[] EncodePixels(ReadOnlySpan<float> pixels)
    {
        var o = Options;
        int h = o.HiddenSize, side = o.PatchesPerSide, patches = side * side, p = o.PatchSize, s = o.ImageSize;
        if (pixels.Length != 3 * s * s) throw new ArgumentException($"expected 3 × {s} × {s} pixels, got {pixels.Length} values", nameof(pixels));
        var columns = new float[patches * 3 * p * p];
        for (var py = 0; py < side; py++)
            for (var px = 0; px < side; px++)
            {
                var column = columns.AsSpan((py * side + px) * 3 * p * p, 3 * p * p);
                for (var c = 0; c < 3; c++)
                    for (var y = 0; y < p; y++)
                        pixels.Slice(c * s * s + (py * p + y) * s + px * p, p).CopyTo(column.Slice((c * p + y) * p, p));
            }
        // CLIP's class token goes first (position 0), the patches after it.
        var first = _classEmbedding != null ? 1 : 0;
        int n = patches + first;
        var x = new float[n * h];
        _patch.Forward(columns, patches, x.AsSpan(first * h));
        _classEmbedding?.CopyTo(x, 0);
        TensorPrimitives.Add(x, _positions, x);
        _preNorm?.Apply(x, x);
        var scratch = new VisionScratch(n, h, o.FeedForwardSize);
        foreach (var block in _blocks) Block(block, x, n, scratch);
        _postNorm?.Apply(x, x);
        return _projection.Project(first == 0 ? x : x[(first * h)..]);
    }

    private void Block(VisionBlock b, float[] x, int n, VisionScratch s)
    {
        var o = Options;
        b.Norm1.Apply(x, s.Normed);
        Linear.Forward(s.Normed, n, b.Query, s.Q, b.Key, s.K, b.Value, s.V);
        var attend = new FullAttentionJob(s.Q, s.K, s.V, s.Attention, n, o.HeadCount, o.HiddenSize / o.HeadCount);
        WorkerPool.Shared.ParallelFor(o.HeadCount * FullAttentionJob.Chunks(n), ref attend);
        b.Output.Forward(s.Attention, n, s.Projected);
        TensorPrimitives.Add(x, s.Projected, x);
        b.Norm2.Apply(x, s.Normed);
        b.Up.Forward(s.Normed, n, s.Inner);
        Activations.Apply(o.Activation, s.Inner);
        b.Down.Forward(s.Inner, n, s.Projected);
        TensorPrimitives.Add(x, s.Projected, x);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _owner.Dispose();
        _arena.Dispose();
    }

    private sealed class VisionScratch(int n, int h, int ff)
    {
        public float[] Normed { get; } = new float[n * h];
        public float[] Q { get; } = new float[n * h];
        public float[] K { get; } = new float[n * h];
        public float[] V { get; } = new float[n * h];
        public float[] Attention { get; } = new float[n * h];
        public float[] Projected { get; } = new float[n * h];
        public float[] Inner { get; } = new float[n * ff];
    }
}
