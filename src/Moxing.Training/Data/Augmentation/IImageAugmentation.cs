namespace Moxing.Training.Data.Augmentation;

/// <summary>A random change to one [C, H, W] image, applied in place when a batch is assembled.</summary>
public interface IImageAugmentation
{
    /// <summary>Changes <paramref name="image"/> (shape <paramref name="shape"/>) using <paramref name="rng"/>.</summary>
    void Apply(Span<float> image, ReadOnlySpan<int> shape, Random rng);
}
