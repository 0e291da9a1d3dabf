using Moxing.Core;

namespace Moxing.Training.Data.Readers;

/// <summary>MNIST-style image classification from an IDX image file [N, H, W] and an IDX label file [N].</summary>
public static class MnistReader
{
    /// <summary>
    /// Reads images (scaled from 0..255 to 0..1 when stored as bytes) into [1, H, W] examples with their labels;
    /// <paramref name="classNames"/> defaults to "0".."9" or as many classes as the largest label needs.
    /// </summary>
    public static Dataset Read(string imagesPath, string labelsPath, IReadOnlyList<string>? classNames = null)
    {
        var images = IdxFile.Read(imagesPath);
        var labels = IdxFile.Read(labelsPath);
        if (images.Shape.Length != 3) throw new InvalidModelFileException(imagesPath, $"expected images of shape [N, H, W], got [{string.Join(", ", images.Shape)}]");
        if (labels.Shape.Length != 1) throw new InvalidModelFileException(labelsPath, $"expected labels of shape [N], got [{string.Join(", ", labels.Shape)}]");
        if (labels.Shape[0] != images.Shape[0])
            throw new InvalidModelFileException(labelsPath, $"{labels.Shape[0]} labels for {images.Shape[0]} images in {imagesPath}");
        var ids = new int[labels.Values.Length];
        var max = 0;
        for (var i = 0; i < ids.Length; i++)
        {
            var v = labels.Values[i];
            if (v < 0 || v != MathF.Floor(v) || v > 65535) throw new InvalidModelFileException(labelsPath, $"label {i} is {v}, expected a small non-negative integer");
            ids[i] = (int)v;
            max = Math.Max(max, ids[i]);
        }
        var names = classNames ?? Enumerable.Range(0, Math.Max(10, max + 1)).Select(i => i.ToString()).ToArray();
        if (max >= names.Count) throw new InvalidModelFileException(labelsPath, $"label {max} but only {names.Count} class names");
        var pixels = images.Values;
        if (images.TypeCode == IdxFile.UnsignedByte)
            System.Numerics.Tensors.TensorPrimitives.Multiply(pixels, 1f / 255f, pixels);
        return new Dataset(pixels, [1, images.Shape[1], images.Shape[2]], DatasetTargets.Classes(ids, names));
    }
}
