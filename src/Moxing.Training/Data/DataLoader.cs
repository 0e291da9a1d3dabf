using Moxing.Training.Data.Augmentation;

namespace Moxing.Training.Data;

/// <summary>
/// Cuts a data set into mini-batches, in a fresh seeded order each epoch when shuffling, applying random image
/// augmentations to the copies it hands out (the data set itself is never changed).
/// </summary>
public sealed class DataLoader
{
    private readonly IReadOnlyList<IImageAugmentation> _augmentations;

    /// <summary>Creates a loader; <paramref name="seed"/> and the epoch number fix the order and the augmentations.</summary>
    public DataLoader(Dataset data, int batchSize, bool shuffle = false, int seed = 0,
        IReadOnlyList<IImageAugmentation>? augmentations = null, bool dropLast = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be positive");
        Data = data;
        BatchSize = batchSize;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = dropLast;
        _augmentations = augmentations ?? [];
        if (_augmentations.Count > 0 && data.ExampleShape.Length != 3)
            throw new ArgumentException($"image augmentations need [C, H, W] examples, got [{string.Join(", ", data.ExampleShape)}]");
    }

    /// <summary>The data set batched.</summary>
    public Dataset Data { get; }

    /// <summary>Examples per batch (the last one may be smaller unless <see cref="DropLast"/>).</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the examples in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Seed of the order and augmentations.</summary>
    public int Seed { get; }

    /// <summary>Whether a final short batch is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>Batches per epoch.</summary>
    public int BatchCount => DropLast ? Data.Count / BatchSize : (Data.Count + BatchSize - 1) / BatchSize;

    /// <summary>The batches of epoch <paramref name="epoch"/> (same epoch and seed → same batches).</summary>
    public IEnumerable<Batch> Epoch(int epoch)
    {
        var order = Enumerable.Range(0, Data.Count).ToArray();
        // Not HashCode.Combine: it is seeded per process, and a resumed run must see the same order as an uninterrupted one.
        var rng = new Random(unchecked(Seed * 1_000_003 + epoch));
        if (Shuffle) rng.Shuffle(order);
        for (var b = 0; b < BatchCount; b++)
        {
            var start = b * BatchSize;
            var indices = order.AsSpan(start, Math.Min(BatchSize, Data.Count - start)).ToArray();
            yield return Gather(indices, rng);
        }
    }

    private Batch Gather(int[] indices, Random rng)
    {
        var size = Data.ExampleSize;
        var inputs = new float[indices.Length * size];
        for (var i = 0; i < indices.Length; i++)
        {
            var example = inputs.AsSpan(i * size, size);
            Data.Example(indices[i]).CopyTo(example);
            foreach (var a in _augmentations) a.Apply(example, Data.ExampleShape, rng);
        }
        var t = Data.Targets;
        var labels = t.Labels == null ? null : DatasetTargets.Gather(t.Labels, t.LabelsPerExample, indices);
        var values = t.Values == null ? null : DatasetTargets.Gather(t.Values, t.ValuesPerExample, indices);
        return new Batch(inputs, [indices.Length, .. Data.ExampleShape], labels, values, indices);
    }
}
