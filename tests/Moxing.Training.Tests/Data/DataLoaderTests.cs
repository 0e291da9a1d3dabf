using Moxing.Training.Data;
using Moxing.Training.Data.Augmentation;

namespace Moxing.Training.Tests.Data;

public class DataLoaderTests
{
    private static Dataset Numbered(int count, int[] shape)
    {
        var size = shape.Aggregate(1, (a, b) => a * b);
        var inputs = new float[count * size];
        for (var i = 0; i < inputs.Length; i++) inputs[i] = i / size;
        return new Dataset(inputs, shape, DatasetTargets.Classes(Enumerable.Range(0, count).Select(i => i % 3).ToArray(), ["a", "b", "c"]));
    }

    [Fact]
    public void BatchesCoverEveryExampleOnceWithMatchingLabels()
    {
        var data = Numbered(10, [2]);
        var loader = new DataLoader(data, batchSize: 4, shuffle: true, seed: 5);
        var batches = loader.Epoch(0).ToList();

        Assert.Equal(3, loader.BatchCount);
        Assert.Equal([4, 4, 2], batches.Select(b => b.Size));
        Assert.Equal([4, 2], batches[0].InputShape);
        var seen = batches.SelectMany(b => b.Indices).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, 10), seen);
        foreach (var b in batches)
            for (var i = 0; i < b.Size; i++)
            {
                Assert.Equal(b.Indices[i], (int)b.Inputs[i * 2]);
                Assert.Equal(b.Indices[i] % 3, b.Labels![i]);
            }
    }

    [Fact]
    public void ShuffleIsSeededPerEpoch()
    {
        var loader = new DataLoader(Numbered(50, [1]), 50, shuffle: true, seed: 1);
        var first = loader.Epoch(0).Single().Indices;
        Assert.Equal(first, loader.Epoch(0).Single().Indices);
        Assert.NotEqual(first, loader.Epoch(1).Single().Indices);
        Assert.NotEqual(first, new DataLoader(Numbered(50, [1]), 50, shuffle: true, seed: 2).Epoch(0).Single().Indices);
        Assert.Equal(Enumerable.Range(0, 50), new DataLoader(Numbered(50, [1]), 50).Epoch(3).Single().Indices);
    }

    [Fact]
    public void DropLastSkipsTheShortBatch()
    {
        var loader = new DataLoader(Numbered(10, [1]), 4, dropLast: true);
        Assert.Equal(2, loader.Epoch(0).Count());
    }

    [Fact]
    public void SplitsAreDisjointStratifiedAndSeeded()
    {
        var data = Numbered(300, [1]);
        var splits = DatasetSplits.Split(data, 0.2, 0.1, seed: 3);
        Assert.Equal(210, splits.Train.Count);
        Assert.Equal(60, splits.Validation.Count);
        Assert.Equal(30, splits.Test.Count);
        var all = splits.Train.Inputs.Concat(splits.Validation.Inputs).Concat(splits.Test.Inputs).Order();
        Assert.Equal(Enumerable.Range(0, 300).Select(i => (float)i), all);
        Assert.Equal(10, splits.Test.Targets.Labels!.Count(l => l == 1));
        Assert.Equal(splits.Test.Inputs, DatasetSplits.Split(data, 0.2, 0.1, seed: 3).Test.Inputs);
        Assert.NotEqual(splits.Test.Inputs, DatasetSplits.Split(data, 0.2, 0.1, seed: 4).Test.Inputs);
    }

    [Fact]
    public void NormalizerStandardizesPerFeatureAndPerChannel()
    {
        var table = new Dataset([1, 10, 3, 30, 5, 50], [2], DatasetTargets.Regression([0, 0, 0]));
        var n = Normalizer.Fit(table);
        Assert.Equal([3f, 30f], n.Mean);
        var z = n.Apply(table).Inputs;
        Assert.Equal(0f, z[2] + z[3], 5);
        Assert.Equal(-z[4], z[0], 5);
        Assert.Equal(3f, z[4] * z[4] + z[0] * z[0] + z[2] * z[2], 4);

        var images = new Dataset([0, 2, 10, 10, 4, 6, 20, 20], [2, 1, 2], DatasetTargets.Regression([0, 0]));
        var c = Normalizer.Fit(images);
        Assert.Equal(2, c.InnerSize);
        Assert.Equal([3f, 15f], c.Mean);
        Assert.Equal([1f, 1f], new Normalizer([1], [0.5f], 1).Apply(new Dataset([1.5f, 1.5f], [1], DatasetTargets.Regression([0, 0]))).Inputs);
    }

    [Fact]
    public void FlipMirrorsRowsAndCropShiftsWithPadding()
    {
        float[] image = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        new HorizontalFlip(1.0).Apply(image, [1, 3, 3], new Random(0));
        Assert.Equal([3f, 2, 1, 6, 5, 4, 9, 8, 7], image);

        var crop = new RandomCrop(1);
        var shifted = 0;
        for (var seed = 0; seed < 20; seed++)
        {
            float[] source = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19];
            var img = (float[])source.Clone();
            crop.Apply(img, [2, 3, 3], new Random(seed));
            // The centre pixel stays inside a 1-pixel shift; where it lands gives the offset, which fixes every other pixel.
            var at = Array.IndexOf(img, 5f);
            var (dy, dx) = (1 - at / 3, 1 - at % 3);
            if (at != 4) shifted++;
            for (var c = 0; c < 2; c++)
                for (var y = 0; y < 3; y++)
                    for (var x = 0; x < 3; x++)
                    {
                        var (sy, sx) = (y + dy, x + dx);
                        var expected = sy is >= 0 and < 3 && sx is >= 0 and < 3 ? source[c * 9 + sy * 3 + sx] : 0f;
                        Assert.Equal(expected, img[c * 9 + y * 3 + x]);
                    }
        }
        Assert.True(shifted > 0);
    }
}
