using System.Runtime.InteropServices;
using Moxing.Core.Formats.Safetensors;
using Moxing.Core.Tensors;
using Moxing.Tests;

namespace Moxing.Core.Tests.Formats;

public class SafetensorsFileTests
{
    public static TheoryData<string> FixtureFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.EnumerateFiles(Fixtures.Root, "*.safetensors", SearchOption.AllDirectories).Order())
            data.Add(Path.GetRelativePath(Fixtures.Root, f));
        return data;
    }

    [Theory]
    [MemberData(nameof(FixtureFiles))]
    public void ReadsEveryFixture(string relativePath)
    {
        using var file = SafetensorsFile.Open(Path.Combine(Fixtures.Root, relativePath));
        Assert.NotEmpty(file.Tensors);
        long covered = 0;
        foreach (var t in file.Tensors)
        {
            Assert.Same(t, file.Find(t.Name));
            Assert.Equal(t.Type.ByteCount(t.ElementCount), t.ByteLength);
            covered += t.ByteLength;
        }
        Assert.Equal(new FileInfo(file.FilePath).Length, file.DataOffset + covered);
        Assert.Null(file.Find("no.such.tensor"));
    }

    [Fact]
    public unsafe void ReadsShapesTypesAndValuesOfAModel()
    {
        using var file = SafetensorsFile.Open(Fixtures.Path("hf", "models", "llama-tiny", "model.safetensors"));
        Assert.Equal("pt", file.Metadata["format"]);
        var embed = file.Find("model.embed_tokens.weight")!;
        Assert.Equal(DType.F32, embed.Type);
        Assert.Equal([1024L, 64], embed.Shape);
        Assert.Equal(64, embed.RowLength);
        Assert.Equal(1024, embed.RowCount);
        var values = MemoryMarshal.Cast<byte, float>(embed.Bytes);
        Assert.All(values.ToArray(), v => Assert.True(float.IsFinite(v)));
        Assert.Contains(values.ToArray(), v => v != 0);

        using var bf16 = SafetensorsFile.Open(Fixtures.Path("hf", "models", "qwen3-tiny-realvocab", "model.safetensors"));
        var qwenEmbed = bf16.Find("model.embed_tokens.weight")!;
        Assert.Equal(DType.BF16, qwenEmbed.Type);
        Assert.Equal([151936L, 32], qwenEmbed.Shape);
        Assert.Equal(64, qwenEmbed.Row(151935).Length);
    }

    [Fact]
    public void TensorsAreInFileOrder()
    {
        using var file = SafetensorsFile.Open(Fixtures.Path("hf", "models", "gpt2-tiny", "model.safetensors"));
        unsafe
        {
            for (var i = 1; i < file.Tensors.Count; i++)
                Assert.True(file.Tensors[i].Data == file.Tensors[i - 1].Data + file.Tensors[i - 1].ByteLength);
        }
    }

    [Fact]
    public void WriterRoundTripsEveryDTypeAndMetadata()
    {
        using var temp = new TempFolder();
        var rng = new Random(7);
        var expected = new List<(string Name, DType Type, long[] Shape, byte[] Bytes)>();
        var writer = new SafetensorsWriter().SetMetadata("format", "pt").SetMetadata("note", "日本語 ✓");
        var types = new[] { DType.F64, DType.F32, DType.F16, DType.BF16, DType.I64, DType.I32, DType.I16, DType.I8, DType.U8, DType.Bool };
        foreach (var type in types)
        {
            long[] shape = type == DType.I8 ? [] : [3, 5];
            var bytes = new byte[type.ByteCount(type == DType.I8 ? 1 : 15)];
            rng.NextBytes(bytes);
            var name = "t." + type;
            writer.Add(name, type, shape, bytes);
            expected.Add((name, type, shape, bytes));
        }
        writer.Add("empty", DType.F32, [0, 4], Array.Empty<byte>());
        expected.Add(("empty", DType.F32, [0, 4], []));
        var floats = new[] { 1.5f, -2f, float.Epsilon, float.MaxValue };
        writer.Add("floats", [2, 2], floats);
        expected.Add(("floats", DType.F32, [2, 2], MemoryMarshal.AsBytes(floats.AsSpan()).ToArray()));

        var path = temp.File("all.safetensors");
        writer.Write(path);
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(0, file.DataOffset % 8);
        Assert.Equal(2, file.Metadata.Count);
        Assert.Equal("日本語 ✓", file.Metadata["note"]);
        Assert.Equal(expected.Count, file.Tensors.Count);
        foreach (var (name, type, shape, bytes) in expected)
        {
            var t = file.Find(name)!;
            Assert.Equal(type, t.Type);
            Assert.Equal(shape, t.Shape);
            Assert.True(t.Bytes.SequenceEqual(bytes), name);
        }
    }

    [Fact]
    public void WriterCopiesTensorsFromAnotherFile()
    {
        using var temp = new TempFolder();
        using var source = SafetensorsFile.Open(Fixtures.Path("hf", "models", "qwen2-tiny", "model.safetensors"));
        var writer = new SafetensorsWriter();
        foreach (var t in source.Tensors) writer.Add(t);
        var path = temp.File("copy.safetensors");
        writer.Write(path);
        using var copy = SafetensorsFile.Open(path);
        Assert.Equal(source.Tensors.Select(t => t.Name), copy.Tensors.Select(t => t.Name));
        foreach (var t in source.Tensors)
        {
            var c = copy.Find(t.Name)!;
            Assert.Equal(t.Type, c.Type);
            Assert.Equal(t.Shape, c.Shape);
            Assert.True(t.Bytes.SequenceEqual(c.Bytes));
        }
    }

    [Fact]
    public void WriterRejectsMismatchedInput()
    {
        var writer = new SafetensorsWriter().Add("a", DType.F32, [2], new byte[8]);
        Assert.Throws<ArgumentException>(() => writer.Add("a", DType.F32, [2], new byte[8]));
        Assert.Throws<ArgumentException>(() => writer.Add("b", DType.F32, [3], new byte[8]));
        Assert.Throws<ArgumentException>(() => writer.Add("c", DType.Q8_0, [32], new byte[34]));
        Assert.Throws<ArgumentException>(() => writer.Add("d", DType.F32, [-1], new byte[0]));
    }
}
