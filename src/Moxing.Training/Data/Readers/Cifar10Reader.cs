using Moxing.Core;

namespace Moxing.Training.Data.Readers;

/// <summary>
/// The CIFAR-10 binary format: records of one label byte then 3×32×32 pixel bytes (red plane, green, blue),
/// in files such as data_batch_1.bin; class names from batches.meta.txt beside them when present.
/// </summary>
public static class Cifar10Reader
{
    /// <summary>Bytes per image.</summary>
    public const int ImageBytes = 3 * 32 * 32;

    /// <summary>The ten CIFAR-10 classes, in label order.</summary>
    public static IReadOnlyList<string> DefaultClassNames { get; } =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>Reads and concatenates the records of <paramref name="paths"/> into [3, 32, 32] examples scaled to 0..1.</summary>
    public static Dataset Read(params string[] paths)
    {
        if (paths.Length == 0) throw new ArgumentException("no CIFAR-10 files given");
        var names = ClassNames(Path.GetDirectoryName(Path.GetFullPath(paths[0]))!);
        var files = paths.Select(p => (Path: p, Bytes: DataFile.ReadAll(p))).ToArray();
        var total = 0;
        foreach (var (path, bytes) in files)
        {
            if (bytes.Length == 0 || bytes.Length % (ImageBytes + 1) != 0)
                throw new InvalidModelFileException(path, $"size {bytes.Length} is not a whole number of {ImageBytes + 1}-byte CIFAR-10 records");
            total += bytes.Length / (ImageBytes + 1);
        }
        var pixels = new float[(long)total * ImageBytes];
        var labels = new int[total];
        var n = 0;
        foreach (var (path, bytes) in files)
            for (var offset = 0; offset < bytes.Length; offset += ImageBytes + 1, n++)
            {
                labels[n] = bytes[offset];
                if (labels[n] >= names.Count)
                    throw new InvalidModelFileException(path, $"record {offset / (ImageBytes + 1)} has label {labels[n]}, expected 0..{names.Count - 1}");
                var image = pixels.AsSpan(n * ImageBytes, ImageBytes);
                var source = bytes.AsSpan(offset + 1, ImageBytes);
                for (var i = 0; i < ImageBytes; i++) image[i] = source[i] * (1f / 255f);
            }
        return new Dataset(pixels, [3, 32, 32], DatasetTargets.Classes(labels, names));
    }

    private static IReadOnlyList<string> ClassNames(string folder)
    {
        var meta = Path.Combine(folder, "batches.meta.txt");
        if (!File.Exists(meta)) return DefaultClassNames;
        var names = File.ReadAllLines(meta).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        return names.Length > 0 ? names : DefaultClassNames;
    }
}
