using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Tensors;
using Moxing.Tests;

namespace Moxing.Core.Tests.Formats;

public class GgufWriterTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static readonly Dictionary<string, object> EveryType = new()
    {
        ["u8"] = (byte)250,
        ["i8"] = (sbyte)-100,
        ["u16"] = (ushort)65000,
        ["i16"] = (short)-30000,
        ["u32"] = 4_000_000_000u,
        ["i32"] = -2_000_000_000,
        ["f32"] = 3.25f,
        ["bool"] = true,
        ["no"] = false,
        ["str"] = "héllo ✓ 𝄞",
        ["empty.str"] = "",
        ["u64"] = ulong.MaxValue,
        ["i64"] = long.MinValue,
        ["f64"] = Math.PI,
        ["a.u8"] = new byte[] { 1, 2, 255 },
        ["a.i8"] = new sbyte[] { -1, 2 },
        ["a.u16"] = new ushort[] { 9 },
        ["a.i16"] = new short[] { -9, 9 },
        ["a.u32"] = new uint[] { 1, uint.MaxValue },
        ["a.i32"] = new[] { -1, 0, 1 },
        ["a.f32"] = new[] { 0.5f, float.NegativeInfinity },
        ["a.bool"] = new[] { true, false, true },
        ["a.str"] = new[] { "a", "", "日本" },
        ["a.u64"] = new ulong[] { 5 },
        ["a.i64"] = new long[] { -5, 5 },
        ["a.f64"] = new[] { 1e300 },
        ["a.empty"] = Array.Empty<int>(),
        ["a.nested"] = new object[] { new[] { 1, 2 }, new[] { "x" }, new object[] { new[] { 1.5 } } },
    };

    [Fact]
    public void RoundTripsEveryMetadataTypeAndTensorBytes()
    {
        var writer = new GgufWriter();
        foreach (var (k, v) in EveryType) writer.Set(k, v);
        var rng = new Random(3);
        var q8 = new byte[2 * 3 * 34];
        rng.NextBytes(q8);
        var ints = new byte[5 * 4];
        rng.NextBytes(ints);
        var floats = Enumerable.Range(0, 24).Select(i => i * 0.25f - 3).ToArray();
        writer.AddTensor("q8", DType.Q8_0, [2, 96], q8)
            .AddTensor("ints", DType.I32, [5], ints)
            .AddF32("f32", [2, 3, 4], floats)
            .AddF16("f16", [1, 2, 3, 4], floats);
        var path = _temp.File("all.gguf");
        writer.Write(path);

        using var file = GgufFile.Open(path);
        Assert.Equal(3u, file.Version);
        Assert.Equal(EveryType.Count, file.Metadata.Count);
        foreach (var (k, v) in EveryType) Assert.Equal(v, file.Metadata[k]);
        Assert.Equal(EveryType.Keys, file.Metadata.Keys);

        Assert.Equal(["q8", "ints", "f32", "f16"], file.Tensors.Select(t => t.Name));
        Assert.Equal([2L, 96], file.Find("q8")!.Shape);
        Assert.True(file.Find("q8")!.Bytes.SequenceEqual(q8));
        Assert.True(file.Find("ints")!.Bytes.SequenceEqual(ints));
        Assert.Equal([2L, 3, 4], file.Find("f32")!.Shape);
        Assert.Equal(floats, MemoryMarshal.Cast<byte, float>(file.Find("f32")!.Bytes).ToArray());
        var f16 = file.Find("f16")!;
        Assert.Equal(DType.F16, f16.Type);
        Assert.Equal([1L, 2, 3, 4], f16.Shape);
        for (var i = 0; i < floats.Length; i++)
            Assert.Equal(floats[i], (float)BinaryPrimitives.ReadHalfLittleEndian(f16.Bytes[(i * 2)..]));
        unsafe
        {
            foreach (var t in file.Tensors) Assert.Equal(0, (t.Data - (file.Find("q8")!.Data)) % 32);
        }
    }

    [Fact]
    public void HonoursACustomAlignment()
    {
        var path = _temp.File("aligned.gguf");
        new GgufWriter().Set(GgufFile.AlignmentKey, 64u).AddTensor("a", DType.I8, [3], new byte[] { 1, 2, 3 })
            .AddTensor("b", DType.I8, [1], new byte[] { 4 }).Write(path);
        using var file = GgufFile.Open(path);
        Assert.Equal(64, file.Alignment);
        Assert.Equal(0, file.DataOffset % 64);
        unsafe { Assert.Equal(64, file.Find("b")!.Data - file.Find("a")!.Data); }
        Assert.Equal(4, file.Find("b")!.Bytes[0]);
        Assert.Throws<ArgumentException>(() => new GgufWriter().Set(GgufFile.AlignmentKey, 48u));
    }

    [Fact]
    public void RewritingAFixtureKeepsMetadataAndTensors()
    {
        using var source = GgufFile.Open(Fixtures.Path("gguf", "llama-tiny.Q4_K_M.gguf"));
        var writer = new GgufWriter();
        foreach (var (k, v) in source.Metadata) writer.Set(k, v);
        foreach (var t in source.Tensors) writer.AddTensor(t);
        var path = _temp.File("copy.gguf");
        writer.Write(path);
        using var copy = GgufFile.Open(path);
        Assert.Equal(source.Metadata.Keys, copy.Metadata.Keys);
        foreach (var (k, v) in source.Metadata) Assert.Equal(v, copy.Metadata[k]);
        Assert.Equal(source.Tensors.Count, copy.Tensors.Count);
        foreach (var t in source.Tensors)
        {
            var c = copy.Find(t.Name)!;
            Assert.Equal(t.Type, c.Type);
            Assert.Equal(t.Shape, c.Shape);
            Assert.True(t.Bytes.SequenceEqual(c.Bytes), t.Name);
        }
        Assert.Equal(new FileInfo(source.FilePath).Length, new FileInfo(path).Length);
    }

    [Fact]
    public void RejectsValuesGgufCannotStore()
    {
        var w = new GgufWriter();
        Assert.Throws<ArgumentException>(() => w.Set("d", 1m));
        Assert.Throws<ArgumentException>(() => w.Set("c", new[] { 'a' }));
        Assert.Throws<ArgumentException>(() => w.Set("n", new object[] { 1 }));
        Assert.Throws<ArgumentException>(() => w.AddTensor("u", DType.U8, [1], new byte[1]));
        Assert.Throws<ArgumentException>(() => w.AddTensor("q", DType.Q8_0, [16], new byte[17]));
    }
}
