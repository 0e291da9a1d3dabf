using System.IO.Compression;
using Moxing.Core;
using Moxing.Training.Data.Readers;

namespace Moxing.Training.Tests.Data;

public class ImageReaderTests
{
    [Fact]
    public void MnistIdxImagesAndLabelsRoundTrip()
    {
        using var dir = new TempFolder();
        var pixels = new byte[3 * 2 * 4];
        for (var i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 10);
        IdxFile.WriteBytes(dir.File("images.idx"), [3, 2, 4], pixels);
        IdxFile.WriteBytes(dir.File("labels.idx"), [3], [7, 0, 9]);

        var data = MnistReader.Read(dir.File("images.idx"), dir.File("labels.idx"));

        Assert.Equal(3, data.Count);
        Assert.Equal([1, 2, 4], data.ExampleShape);
        Assert.Equal([7, 0, 9], data.Targets.Labels!);
        Assert.Equal(10, data.Targets.ClassNames.Count);
        Assert.Equal(80 / 255f, data.Example(1)[0], 6);
        Assert.Equal(230 / 255f, data.Example(2)[7], 6);
    }

    [Fact]
    public void IdxReadsGzipAndBigEndianFloats()
    {
        using var dir = new TempFolder();
        var path = dir.File("values.idx.gz");
        using (var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest))
            gz.Write([0, 0, 0x0D, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0x3F, 0x80, 0, 0, 0xC0, 0x20, 0, 0]);

        var idx = IdxFile.Read(path);

        Assert.Equal([1, 2], idx.Shape);
        Assert.Equal([1f, -2.5f], idx.Values);
    }

    [Fact]
    public void IdxWithWrongSizeNamesTheFile()
    {
        using var dir = new TempFolder();
        var path = dir.File("bad.idx");
        File.WriteAllBytes(path, [0, 0, 8, 1, 0, 0, 0, 5, 1, 2]);
        var e = Assert.Throws<InvalidModelFileException>(() => IdxFile.Read(path));
        Assert.Contains("bad.idx", e.Message);
        Assert.Contains("needs 5 data bytes", e.Message);
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Contains("not an IDX file", Assert.Throws<InvalidModelFileException>(() => IdxFile.Read(path)).Message);
    }

    [Fact]
    public void MnistLabelCountMustMatchImages()
    {
        using var dir = new TempFolder();
        IdxFile.WriteBytes(dir.File("i"), [2, 1, 1], [1, 2]);
        IdxFile.WriteBytes(dir.File("l"), [3], [1, 2, 3]);
        Assert.Contains("3 labels for 2 images", Assert.Throws<InvalidModelFileException>(() => MnistReader.Read(dir.File("i"), dir.File("l"))).Message);
    }

    [Fact]
    public void Cifar10RecordsAreLabelThenPlanes()
    {
        using var dir = new TempFolder();
        var record = new byte[Cifar10Reader.ImageBytes + 1];
        var bytes = new List<byte>();
        for (var n = 0; n < 2; n++)
        {
            record[0] = (byte)(n == 0 ? 3 : 9);
            for (var i = 1; i < record.Length; i++) record[i] = (byte)((i - 1) / 1024 * 100 + n);
            bytes.AddRange(record);
        }
        File.WriteAllBytes(dir.File("data_batch_1.bin"), bytes.ToArray());

        var data = Cifar10Reader.Read(dir.File("data_batch_1.bin"));

        Assert.Equal(2, data.Count);
        Assert.Equal([3, 32, 32], data.ExampleShape);
        Assert.Equal([3, 9], data.Targets.Labels!);
        Assert.Equal("cat", data.Targets.ClassNames[3]);
        Assert.Equal(0f, data.Example(0)[0]);
        Assert.Equal(201 / 255f, data.Example(1)[2048], 6);

        File.WriteAllBytes(dir.File("short.bin"), bytes.Take(100).ToArray());
        Assert.Contains("CIFAR-10 records", Assert.Throws<InvalidModelFileException>(() => Cifar10Reader.Read(dir.File("short.bin"))).Message);
    }
}
