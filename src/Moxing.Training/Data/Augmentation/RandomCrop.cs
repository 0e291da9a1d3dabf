namespace Moxing.Training.Data.Augmentation;

/// <summary>
/// Pads the image by <see cref="Padding"/> pixels of <see cref="Fill"/> on each side and cuts a window of the
/// original size at a random offset (torchvision's RandomCrop(size, padding)).
/// </summary>
public sealed class RandomCrop(int padding, float fill = 0f) : IImageAugmentation
{
    /// <summary>Pixels added on each side before cropping.</summary>
    public int Padding { get; } = padding >= 0 ? padding : throw new ArgumentOutOfRangeException(nameof(padding));

    /// <summary>Value of the padded pixels.</summary>
    public float Fill { get; } = fill;

    /// <inheritdoc />
    public void Apply(Span<float> image, ReadOnlySpan<int> shape, Random rng)
    {
        var (channels, height, width) = (shape[0], shape[1], shape[2]);
        // Offsets of the window in the padded image, relative to the original's top-left corner.
        var dy = rng.Next(2 * Padding + 1) - Padding;
        var dx = rng.Next(2 * Padding + 1) - Padding;
        if (dy == 0 && dx == 0) return;
        Span<float> source = image.ToArray();
        for (var c = 0; c < channels; c++)
        {
            var plane = c * height * width;
            for (var y = 0; y < height; y++)
            {
                var row = image.Slice(plane + y * width, width);
                var sy = y + dy;
                if ((uint)sy >= (uint)height) { row.Fill(Fill); continue; }
                var from = Math.Max(0, dx);
                var to = Math.Min(width, width + dx);
                var target = Math.Max(0, -dx);
                row.Fill(Fill);
                source.Slice(plane + sy * width + from, to - from).CopyTo(row[target..]);
            }
        }
    }
}
