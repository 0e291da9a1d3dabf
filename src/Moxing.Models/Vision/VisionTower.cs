using System.Numerics.Tensors;
using Moxing.Core;
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
/// A vision encoder and projector (SigLIP + Gemma 3's): an image becomes <see cref="VisionOptions.TokensPerImage"/> embeddings of the
/// text model's width, which enter the decoder in place of the image's placeholder tokens. Runs on the same kernels as the decoder.
/// </summary>
public sealed class VisionTower : IDisposable
{
    private readonly IDisposable _owner;
    private readonly TensorArena _arena;
    private readonly Linear _patch;
    private readonly float[] _positions;
    private readonly VisionBlock[] _blocks;
    private readonly Norm _postNorm, _softNorm;
    private readonly Linear _projection;

    /// <summary>The tower's shape and preprocessing.</summary>
    public VisionOptions Options { get; }

    private VisionTower(VisionOptions options, Linear patch, float[] positions, VisionBlock[] blocks, Norm postNorm, Norm softNorm, Linear projection,
        TensorArena arena, IDisposable owner)
    {
        (Options, _patch, _positions, _blocks, _postNorm, _softNorm, _projection, _arena, _owner) =
            (options, patch, positions, blocks, postNorm, softNorm, projection, arena, owner);
    }

    /// <summary>
    /// Binds the tower's tensors in <paramref name="source"/> (which it then owns); a Gemma 3 soft
    /// embedding norm stored as w (transformers) takes <paramref name="softNormOffset"/> 1, as 1 + w (llama.cpp's converter) 0.
    /// </summary>
    internal static VisionTower Load(VisionOptions o, ITensorSource source, VisionTensorNames names, float softNormOffset, string path)
    {
        var arena = new TensorArena();
        try
        {
            StoredTensor Tensor(string name) => source.Find(name) ?? throw new InvalidModelFileException(path, $"vision tensor '{name}' is missing");
            float[] Vector(string name, int size) => Tensor(name).ToFloats(size, path);
            void Check(StoredTensor t, params long[] shape)
            {
                if (!t.Shape.SequenceEqual(shape))
                    throw new InvalidModelFileException(path, $"vision tensor '{t.Name}' has shape [{string.Join(", ", t.Shape)}], expected [{string.Join(", ", shape)}]");
            }
            Linear Dense(string name, int rows, int cols)
            {
                var w = Tensor(name + ".weight");
                Check(w, rows, cols);
                return new Linear(w, Vector(name + ".bias", rows));
            }
            Norm LayerNorm(string name) => new(NormKind.Layer, Vector(name + ".weight", o.HiddenSize), Vector(name + ".bias", o.HiddenSize), o.NormEps);

            int h = o.HiddenSize, ff = o.FeedForwardSize, p = o.PatchSize, patches = o.PatchesPerSide * o.PatchesPerSide;
            // The convolution's [hidden, 3, p, p] kernel is a [hidden, 3·p·p] matrix over each patch's pixels in (channel, row, column) order.
            var kernel = Tensor(names.Patch + ".weight");
            Check(kernel, h, 3, p, p);
            var patch = new Linear(Reshaped(kernel, h, 3L * p * p), Vector(names.Patch + ".bias", h));
            var positions = Tensor(names.Positions);
            Check(positions, patches, h);
            var blocks = new VisionBlock[o.LayerCount];
            for (var i = 0; i < blocks.Length; i++)
            {
                string B(string part) => names.InBlock(i, part);
                // llama.cpp's loader swaps an older mmproj's up and down when ffn_down is the one that widens.
                var (up, down) = (B(names.Up), B(names.Down));
                if (source.Find(down + ".weight") is { Shape: [var rows, _] } && rows == ff && ff != h) (up, down) = (down, up);
                blocks[i] = new VisionBlock(LayerNorm(B(names.Norm1)), Dense(B(names.Query), h, h), Dense(B(names.Key), h, h), Dense(B(names.Value), h, h),
                    Dense(B(names.Output), h, h), LayerNorm(B(names.Norm2)), Dense(up, ff, h), Dense(down, h, ff));
            }
            var projection = Tensor(names.Projection);
            Check(projection, h, o.TextHiddenSize);
            var soft = new Norm(NormKind.Rms, Vector(names.SoftNorm, h), null, o.NormEps, softNormOffset);
            return new VisionTower(o, patch, positions.ToFloats(patches * h, path), blocks, LayerNorm(names.PostNorm), soft,
                new Linear(Transposed(arena, projection), null), arena, source);
        }
        catch
        {
            arena.Dispose();
            throw;
        }
    }

    private static unsafe StoredTensor Reshaped(StoredTensor t, params long[] shape) => new(t.Name, t.Type, shape, t.Data, t.ByteLength);

    // [in, out] as stored (Gemma 3 multiplies by it on the right) into the [out, in] a Linear takes, in float32.
    private static unsafe StoredTensor Transposed(TensorArena arena, StoredTensor t)
    {
        int rows = (int)t.Shape[0], cols = (int)t.Shape[1];
        var values = t.ToFloats(rows * cols, t.Name);
        var result = arena.AllocateF32(t.Name, cols, rows);
        var target = new Span<float>(result.Data, rows * cols);
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < cols; c++) target[c * rows + r] = values[r * cols + c];
        return result;
    }

    /// <summary>The text-model embeddings [<see cref="VisionOptions.TokensPerImage"/>, text width] of <paramref name="image"/>.</summary>
    public float[] Encode(RgbImage image) => EncodePixels(VisionPreprocessor.Pixels(image, Options));

    /// <summary>The embeddings of preprocessed pixels ([3, size, size], normalized) as <see cref="Encode"/> gives them.</summary>
    public float[] EncodePixels(ReadOnlySpan<float> pixels)
    {
        var o = Options;
        int h = o.HiddenSize, side = o.PatchesPerSide, n = side * side, p = o.PatchSize, s = o.ImageSize;
        if (pixels.Length != 3 * s * s) throw new ArgumentException($"expected 3 × {s} × {s} pixels, got {pixels.Length} values", nameof(pixels));
        var columns = new float[n * 3 * p * p];
        for (var py = 0; py < side; py++)
            for (var px = 0; px < side; px++)
            {
                var column = columns.AsSpan((py * side + px) * 3 * p * p, 3 * p * p);
                for (var c = 0; c < 3; c++)
                    for (var y = 0; y < p; y++)
                        pixels.Slice(c * s * s + (py * p + y) * s + px * p, p).CopyTo(column.Slice((c * p + y) * p, p));
            }
        var x = new float[n * h];
        _patch.Forward(columns, n, x);
        TensorPrimitives.Add(x, _positions, x);
        var scratch = new VisionScratch(n, h, o.FeedForwardSize);
        foreach (var block in _blocks) Block(block, x, n, scratch);
        _postNorm.Apply(x, x);
        return Project(x);
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

    // Gemma 3: average pool of the patch grid (tokens row by row), the soft embedding norm, then the projection.
    private float[] Project(float[] x)
    {
        var o = Options;
        int h = o.HiddenSize, side = o.PatchesPerSide, k = o.PoolKernel, tokensSide = side / k, tokens = tokensSide * tokensSide;
        var pooled = new float[tokens * h];
        for (var ty = 0; ty < tokensSide; ty++)
            for (var tx = 0; tx < tokensSide; tx++)
            {
                var target = pooled.AsSpan((ty * tokensSide + tx) * h, h);
                for (var dy = 0; dy < k; dy++)
                    for (var dx = 0; dx < k; dx++) TensorPrimitives.Add(target, x.AsSpan(((ty * k + dy) * side + tx * k + dx) * h, h), target);
                TensorPrimitives.Divide(target, k * k, target);
            }
        _softNorm.Apply(pooled, pooled);
        var embeddings = new float[tokens * o.TextHiddenSize];
        _projection.Forward(pooled, tokens, embeddings);
        return embeddings;
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
