using System.Numerics.Tensors;
using Moxing.Core.Formats.Images;
using Moxing.Core.Kernels;
using Moxing.Core.Ops;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Layers;

namespace Moxing.Models.Vision;

/// <summary>
/// One pre-norm block of the tower: norm, biased multi-head attention over every patch (or its window), norm, biased MLP (with a gate:
/// act(gate) · up).
/// </summary>
internal sealed record VisionBlock(Norm Norm1, Linear Query, Linear Key, Linear Value, Linear Output, Norm Norm2, Linear Up, Linear Down, Linear? Gate);

/// <summary>
/// A vision encoder (SigLIP, CLIP, Idefics3's, Qwen2-VL's) and its projector (<see cref="VisionProjector"/>): an image becomes
/// <see cref="VisionOptions.TokensPerImage"/> embeddings of the text model's width, which enter the decoder in place of the image's
/// placeholder tokens. Runs on the same kernels as the decoder.
/// </summary>
public sealed class VisionTower : IDisposable
{
    private readonly IDisposable _owner;
    private readonly TensorArena _arena;
    private readonly Linear _patch;
    private readonly float[]? _classEmbedding;
    private readonly float[]? _positions;
    private readonly Norm? _preNorm, _postNorm;
    private readonly VisionBlock[] _blocks;
    private readonly VisionProjection _projection;

    /// <summary>The tower's shape and preprocessing.</summary>
    public VisionOptions Options { get; }

    /// <summary>Whether a class token goes before the patches (CLIP); its output is dropped before the projector.</summary>
    public bool HasClassToken => _classEmbedding != null;

    private VisionTower(VisionOptions options, Linear patch, float[]? classEmbedding, float[]? positions, Norm? preNorm, VisionBlock[] blocks,
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
            int h = o.HiddenSize, ff = o.FeedForwardSize, patches = o.PatchesPerSide * o.PatchesPerSide;
            var patch = new Linear(PatchKernel(o, w, names.Patch + ".weight", arena), w.Find(names.Patch + ".bias") != null ? w.Vector(names.Patch + ".bias", h) : null);
            var classEmbedding = w.Find(names.ClassEmbedding) != null ? w.Vector(names.ClassEmbedding!, h) : null;
            var tokens = patches + (classEmbedding != null ? 1 : 0);
            var positions = names.Positions != null ? w.Shaped(names.Positions, tokens, h).ToFloats(tokens * h, path) : null;
            Norm Norm(string name) => w.Norm(name, o.NormKind, h, o.NormEps);
            Norm? Optional(string? name) => name != null && w.Find(name + ".weight") != null ? Norm(name) : null;
            var (preNorm, postNorm) = (Optional(names.PreNorm), Optional(names.PostNorm));
            var blocks = new VisionBlock[o.BlocksRun];
            for (var i = 0; i < blocks.Length; i++)
            {
                string B(string part) => names.InBlock(i, part);
                // llama.cpp's loader swaps an older mmproj's up and down when ffn_down is the one that widens.
                var (up, down) = (B(names.Up), B(names.Down));
                if (source.Find(down + ".weight") is { Shape: [var rows, _] } && rows == ff && ff != h) (up, down) = (down, up);
                Linear Attention(int part, string name) => names.Qkv != null ? w.DenseRows(B(names.Qkv), part, 3, h, h) : w.Dense(B(name), h, h);
                var gate = names.Gate != null && w.Find(B(names.Gate) + ".weight") != null ? w.Dense(B(names.Gate), ff, h) : null;
                blocks[i] = new VisionBlock(Norm(B(names.Norm1)), Attention(0, names.Query), Attention(1, names.Key), Attention(2, names.Value),
                    w.Dense(B(names.Output), h, h), Norm(B(names.Norm2)), w.Dense(up, ff, h), w.Dense(down, h, ff), gate);
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

    // The convolution's [hidden, 3, p, p] kernel is a [hidden, 3·p·p] matrix over each patch's pixels in (channel, row, column) order. A
    // Qwen2-VL still image fills both temporal patches of its Conv3d, so its kernel is the sum of the two halves: transformers' [hidden, 3, 2,
    // p, p], or llama.cpp's two conv2d kernels (name and name.1).
    private static unsafe StoredTensor PatchKernel(VisionOptions o, VisionWeights w, string name, TensorArena arena)
    {
        int h = o.HiddenSize, p = o.PatchSize, size = 3 * p * p;
        if (!o.DynamicSize) return Reshaped(w.Shaped(name, h, 3, p, p), h, size);
        float[] first, second;
        if (w.Find(name) is { Shape.Length: 5 })
        {
            w.Shaped(name, h, 3, 2, p, p);
            var both = w.Vector(name, 2 * h * size);
            (first, second) = (new float[h * size], new float[h * size]);
            for (var i = 0; i < h * 3; i++)
            {
                both.AsSpan(i * 2 * p * p, p * p).CopyTo(first.AsSpan(i * p * p));
                both.AsSpan((i * 2 + 1) * p * p, p * p).CopyTo(second.AsSpan(i * p * p));
            }
        }
        else
        {
            w.Shaped(name, h, 3, p, p);
            w.Shaped(name + ".1", h, 3, p, p);
            (first, second) = (w.Vector(name, h * size), w.Vector(name + ".1", h * size));
        }
        var kernel = arena.AllocateF32(name, h, size);
        TensorPrimitives.Add(first, second, new Span<float>(kernel.Data, h * size));
        return kernel;
    }

    /// <summary>
    /// The text-model embeddings [tokens, text width] of <paramref name="image"/>: <see cref="VisionOptions.TokensPerImage"/> of them, or for
    /// a tower of <see cref="VisionOptions.DynamicSize"/> one per merge square of the image at <see cref="VisionPreprocessor.Size"/>, row by row.
    /// </summary>
    public float[] Encode(RgbImage image)
    {
        var (width, height) = VisionPreprocessor.Size(image, Options);
        return EncodePixels(VisionPreprocessor.Pixels(image, Options), width, height);
    }

    /// <summary>The embeddings of preprocessed pixels ([3, size, size], normalized) as <see cref="Encode"/> gives them.</summary>
    public float[] EncodePixels(ReadOnlySpan<float> pixels) => EncodePixels(pixels, Options.ImageSize, Options.ImageSize);

    /// <summary>The embeddings of preprocessed pixels [3, <paramref name="height"/>, <paramref name="width"/>] (a square of the image size but for a dynamic-size tower).</summary>
    public float[] EncodePixels(ReadOnlySpan<float> pixels, int width, int height)
    {
        var o = Options;
        int h = o.HiddenSize, p = o.PatchSize, step = o.DynamicSize ? o.SizeFactor : o.ImageSize;
        if (width <= 0 || height <= 0 || width % step != 0 || height % step != 0 || !o.DynamicSize && width != height || pixels.Length != 3 * width * height)
            throw new ArgumentException($"expected 3 × {height} × {width} pixels in whole {step}-pixel squares, got {pixels.Length} values", nameof(pixels));
        int columnsPerRow = width / p, patches = columnsPerRow * (height / p);
        var order = o.DynamicSize ? PatchOrder.Of(o, columnsPerRow, height / p) : null;
        var columns = new float[patches * 3 * p * p];
        for (var i = 0; i < patches; i++)
        {
            var index = order?.Patches[i] ?? i;
            int py = index / columnsPerRow, px = index % columnsPerRow;
            var column = columns.AsSpan(i * 3 * p * p, 3 * p * p);
            for (var c = 0; c < 3; c++)
                for (var y = 0; y < p; y++)
                    pixels.Slice((c * height + py * p + y) * width + px * p, p).CopyTo(column.Slice((c * p + y) * p, p));
        }
        // CLIP's class token goes first (position 0), the patches after it.
        var first = _classEmbedding != null ? 1 : 0;
        int n = patches + first;
        var x = new float[n * h];
        _patch.Forward(columns, patches, x.AsSpan(first * h));
        _classEmbedding?.CopyTo(x, 0);
        if (_positions != null) TensorPrimitives.Add(x, _positions, x);
        _preNorm?.Apply(x, x);
        var scratch = new VisionScratch(n, h, o.FeedForwardSize);
        var rotary = order != null ? new VisionRotary(order, columnsPerRow, h / o.HeadCount) : null;
        for (var i = 0; i < _blocks.Length; i++)
            Block(_blocks[i], x, n, scratch, rotary, o.FullAttentionEvery > 0 && (i + 1) % o.FullAttentionEvery != 0 ? order!.Windows : null);
        _postNorm?.Apply(x, x);
        if (order?.Windows != null) x = order.Restore(x, h);
        return _projection.Project(first == 0 ? x : x[(first * h)..]);
    }

    private void Block(VisionBlock b, float[] x, int n, VisionScratch s, VisionRotary? rotary, int[]? windows)
    {
        var o = Options;
        b.Norm1.Apply(x, s.Normed);
        Linear.Forward(s.Normed, n, b.Query, s.Q, b.Key, s.K, b.Value, s.V);
        rotary?.Apply(s.Q, n, o.HiddenSize);
        rotary?.Apply(s.K, n, o.HiddenSize);
        var attend = new FullAttentionJob(s.Q, s.K, s.V, s.Attention, n, o.HeadCount, o.HiddenSize / o.HeadCount, windows);
        WorkerPool.Shared.ParallelFor(o.HeadCount * FullAttentionJob.Chunks(n), ref attend);
        b.Output.Forward(s.Attention, n, s.Projected);
        TensorPrimitives.Add(x, s.Projected, x);
        b.Norm2.Apply(x, s.Normed);
        b.Up.Forward(s.Normed, n, s.Inner);
        if (b.Gate != null)
        {
            b.Gate.Forward(s.Normed, n, s.Gate);
            Activations.Apply(o.Activation, s.Gate);
            TensorPrimitives.Multiply(s.Inner, s.Gate, s.Inner);
        }
        else Activations.Apply(o.Activation, s.Inner);
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
        private float[]? _gate;
        public float[] Gate => _gate ??= new float[Inner.Length];
    }
}
