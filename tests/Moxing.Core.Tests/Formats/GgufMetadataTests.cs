using Moxing.Core.Formats.Gguf;

namespace Moxing.Core.Tests.Formats;

public class GgufMetadataTests
{
    private static readonly GgufMetadata Metadata = new("model.gguf", new Dictionary<string, object>
    {
        ["u8"] = (byte)200,
        ["i16"] = (short)-3,
        ["u32"] = 7u,
        ["u64"] = ulong.MaxValue,
        ["i64"] = -5L,
        ["f32"] = 0.5f,
        ["f64"] = 2.25,
        ["flag"] = true,
        ["name"] = "llama",
        ["tokens"] = new[] { "a", "b" },
        ["ids"] = new[] { 1, 2 },
        ["nested"] = new object[] { new[] { 1u }, new[] { "x" } },
    });

    [Fact]
    public void IntegerGettersAcceptEveryIntegerType()
    {
        Assert.Equal(200, Metadata.GetInt64("u8"));
        Assert.Equal(-3, Metadata.GetInt32("i16"));
        Assert.Equal(7, Metadata.GetInt64("u32"));
        Assert.Equal(-5, Metadata.GetInt64("i64"));
        Assert.True(Metadata.TryGetInt64("u32", out var v) && v == 7);
        Assert.False(Metadata.TryGetInt64("absent", out _));
    }

    [Fact]
    public void FloatGetterAcceptsFloatsAndIntegers()
    {
        Assert.Equal(0.5f, Metadata.GetSingle("f32"));
        Assert.Equal(2.25f, Metadata.GetSingle("f64"));
        Assert.Equal(7f, Metadata.GetSingle("u32"));
        Assert.False(Metadata.TryGetSingle("absent", out _));
    }

    [Fact]
    public void StringBoolAndArrayGetters()
    {
        Assert.Equal("llama", Metadata.GetString("name"));
        Assert.True(Metadata.GetBool("flag"));
        Assert.Equal(["a", "b"], Metadata.GetArray<string>("tokens"));
        Assert.Equal([1, 2], Metadata.GetArray<int>("ids"));
        Assert.Equal([1u], Assert.IsType<uint[]>(Metadata.GetArray<object>("nested")[0]));
        Assert.True(Metadata.TryGetString("name", out var s) && s == "llama");
        Assert.False(Metadata.TryGetArray<string>("absent", out _));
    }

    [Theory]
    [InlineData("name", "is string, expected an integer")]
    [InlineData("u64", "is uint64 18446744073709551615, expected an integer")]
    [InlineData("f32", "is float32 0.5, expected an integer")]
    public void WrongTypeNamesTheKey(string key, string problem)
    {
        var e = Assert.Throws<InvalidModelFileException>(() => Metadata.GetInt64(key));
        Assert.Contains("model.gguf", e.Message);
        Assert.Contains($"metadata key '{key}' {problem}", e.Message);
        Assert.Throws<InvalidModelFileException>(() => Metadata.TryGetInt64(key, out _));
    }

    [Fact]
    public void WrongArrayTypeNamesBothTypes()
    {
        var e = Assert.Throws<InvalidModelFileException>(() => Metadata.GetArray<float>("ids"));
        Assert.Contains("metadata key 'ids' is array of int32, expected an array of float32", e.Message);
        e = Assert.Throws<InvalidModelFileException>(() => Metadata.GetInt32("u64"));
        Assert.Contains("expected an integer that fits in 32 bits", e.Message);
        e = Assert.Throws<InvalidModelFileException>(() => Metadata.GetBool("name"));
        Assert.Contains("expected a bool", e.Message);
    }

    [Fact]
    public void MissingKeyIsNamed()
    {
        var e = Assert.Throws<InvalidModelFileException>(() => Metadata.GetString("general.architecture"));
        Assert.Contains("model.gguf: metadata key 'general.architecture' is missing", e.Message);
        Assert.Throws<InvalidModelFileException>(() => Metadata["general.architecture"]);
    }
}
