using Moxing.Core.IO;

namespace Moxing.Core.Tests.Formats;

public class MappedFileTests
{
    [Fact]
    public unsafe void MapsEveryByteOfTheFile()
    {
        using var temp = new TempFolder();
        var bytes = new byte[10_000];
        new Random(1).NextBytes(bytes);
        var path = temp.Write("data.bin", bytes);
        using var file = MappedFile.Open(path);
        Assert.Equal(bytes.Length, file.Length);
        Assert.True(new ReadOnlySpan<byte>(file.Pointer, bytes.Length).SequenceEqual(bytes));
        Assert.True(file.Span(9_990, 10).SequenceEqual(bytes.AsSpan(9_990)));
        Assert.Throws<ArgumentOutOfRangeException>(() => file.Span(9_991, 10).Length);
    }

    [Fact]
    public void EmptyFileIsAClearError()
    {
        using var temp = new TempFolder();
        var path = temp.Write("empty.gguf", []);
        var e = Assert.Throws<InvalidModelFileException>(() => MappedFile.Open(path));
        Assert.Contains("empty.gguf", e.Message);
        Assert.Contains("empty", e.Message[e.Message.IndexOf(':')..]);
    }

    [Fact]
    public void MissingFileIsAClearError()
    {
        using var temp = new TempFolder();
        var e = Assert.Throws<InvalidModelFileException>(() => MappedFile.Open(temp.File("absent.safetensors")));
        Assert.Contains("absent.safetensors", e.Message);
        Assert.Contains("cannot open", e.Message);
    }

    [Fact]
    public unsafe void PointerIsRejectedAfterDispose()
    {
        using var temp = new TempFolder();
        var file = MappedFile.Open(temp.Write("x.bin", [1, 2, 3]));
        file.Dispose();
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => (long)file.Pointer);
    }
}
