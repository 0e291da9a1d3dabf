namespace Moxing.Training.Data.Augmentation;

/// <summary>Mirrors the image left–right with probability <see cref="Probability"/>.</summary>
public sealed class HorizontalFlip(double probability = 0.5) : IImageAugmentation
{
    /// <summary>Chance of a flip.</summary>
    public double Probability { get; } = probability;

    /// <inheritdoc />
    public void Apply(Span<float> image, ReadOnlySpan<int> shape, Random rng)
    {
        if (rng.NextDouble() >= Probability) return;
        var width = shape[2];
        for (var row = 0; row < image.Length; row += width) image.Slice(row, width).Reverse();
    }
}
