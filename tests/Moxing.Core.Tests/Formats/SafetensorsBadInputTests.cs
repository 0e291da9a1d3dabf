using System.Buffers.Binary;
using System.Text;
using Moxing.Core.Formats.Safetensors;

namespace Moxing.Core.Tests.Formats;

public class SafetensorsBadInputTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>A safetensors file with the given header text, header length field and data area.</summary>
    private string Craft(string header, int dataBytes, ulong? headerLength = null, string name = "bad.safetensors")
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength ?? (ulong)json.Length);
        json.CopyTo(bytes, 8);
        return _temp.Write(name, bytes);
    }

    private static void AssertInvalid(string path, string problem) => InvalidFile.Assert(path, problem, () => SafetensorsFile.Open(path));

    private const string Good = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I8","shape":[4],"data_offsets":[8,12]}}""";

    [Fact]
    public void GoodCraftedFileOpens()
    {
        using var file = SafetensorsFile.Open(Craft(Good, 12));
        Assert.Equal(2, file.Tensors.Count);
    }

    [Fact]
    public void FileShorterThanTheLengthField() => AssertInvalid(_temp.Write("short.safetensors", [1, 2, 3]), "too short");

    [Fact]
    public void HeaderLengthOverTheLimit() => AssertInvalid(Craft(Good, 12, 200_000_000), "limit");

    [Fact]
    public void HeaderLengthBeyondTheFile() => AssertInvalid(Craft(Good, 12, 1_000_000), "runs past the end");

    [Fact]
    public void HeaderLengthOfTwoToThe63() => AssertInvalid(Craft(Good, 12, 1UL << 63), "limit");

    [Fact]
    public void HeaderNotAnObject() => AssertInvalid(Craft("[1, 2]", 0), "does not start with '{'");

    [Fact]
    public void MalformedJson() => AssertInvalid(Craft("""{"a":{"dtype":"F32",""", 0), "malformed JSON header");

    [Fact]
    public void InvalidUtf8InTheHeader()
    {
        var path = Craft("""{"aé":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}""", 0);
        var bytes = File.ReadAllBytes(path);
        var at = Array.IndexOf(bytes, (byte)0xC3);
        bytes[at] = 0xFF;
        File.WriteAllBytes(path, bytes);
        AssertInvalid(path, "not valid UTF-8");
    }

    [Fact]
    public void UnknownDTypeNamesTensorAndDType()
    {
        var e = InvalidFile.Assert(Craft("""{"w":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}""", 2), "'F8_E4M3'",
            () => SafetensorsFile.Open(_temp.File("bad.safetensors")));
        Assert.Contains("tensor 'w'", e.Message);
    }

    [Fact]
    public void MissingDType() => AssertInvalid(Craft("""{"w":{"shape":[2],"data_offsets":[0,8]}}""", 8), "'dtype' is missing");

    [Fact]
    public void NegativeShapeEntry() => AssertInvalid(Craft("""{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", 8), "shape entry -2");

    [Fact]
    public void FractionalShapeEntry() => AssertInvalid(Craft("""{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}}""", 8), "shape entry 1.5");

    [Fact]
    public void ShapeDisagreesWithOffsets() => AssertInvalid(Craft("""{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8), "needs 12");

    [Fact]
    public void AbsurdDimensionsOverflow() =>
        AssertInvalid(Craft("""{"w":{"dtype":"F32","shape":[1152921504606846976,1152921504606846976],"data_offsets":[0,8]}}""", 8), "more elements");

    [Fact]
    public void TwoToThe60ElementsDoNotFitTheFile() =>
        AssertInvalid(Craft("""{"w":{"dtype":"U8","shape":[1152921504606846976],"data_offsets":[0,1152921504606846976]}}""", 8), "run past");

    [Fact]
    public void OffsetsBeyondTheDataArea() => AssertInvalid(Craft("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 8), "run past the 8-byte data area");

    [Fact]
    public void OffsetsEndBeforeTheyBegin() => AssertInvalid(Craft("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", 8), "end before they begin");

    [Fact]
    public void OffsetsNotAPair() => AssertInvalid(Craft("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}}""", 8), "data_offsets");

    [Fact]
    public void OverlappingTensors() =>
        AssertInvalid(Craft("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12), "overlap tensor 'a'");

    [Fact]
    public void GapBetweenTensors() =>
        AssertInvalid(Craft("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12), "gap of 4 bytes");

    [Fact]
    public void TrailingBytesNoTensorCovers() => AssertInvalid(Craft(Good, 20), "cover only 12");

    [Fact]
    public void DuplicateTensorName() =>
        AssertInvalid(Craft("""{"a":{"dtype":"I8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"I8","shape":[1],"data_offsets":[1,2]}}""", 2), "'a' twice");

    [Fact]
    public void MetadataValueNotAString() =>
        AssertInvalid(Craft("""{"__metadata__":{"format":1},"a":{"dtype":"I8","shape":[1],"data_offsets":[0,1]}}""", 1), "entry 'format' must be a string");

    [Fact]
    public void EntryNotAnObject() => AssertInvalid(Craft("""{"a":[1,2]}""", 0), "tensor 'a': expected an object");

    [Fact]
    public void EveryTruncationIsRejected()
    {
        var full = File.ReadAllBytes(Craft(Good, 12, name: "good.safetensors"));
        for (var cut = 0; cut < full.Length; cut++)
        {
            var path = _temp.Write($"cut{cut}.safetensors", full.AsSpan(0, cut));
            var e = Assert.Throws<InvalidModelFileException>(() => SafetensorsFile.Open(path).Dispose());
            Assert.Contains($"cut{cut}.safetensors", e.Message);
        }
    }

    [Fact]
    public void ByteFlipsOnlyEverRaiseOurException()
    {
        var full = File.ReadAllBytes(Craft(Good, 12, name: "good.safetensors"));
        var rng = new Random(99);
        var path = _temp.File("fuzz.safetensors");
        var rejected = 0;
        for (var round = 0; round < 500; round++)
        {
            var bytes = (byte[])full.Clone();
            for (var flips = rng.Next(1, 3); flips > 0; flips--)
                bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
            File.WriteAllBytes(path, bytes);
            try
            {
                using var file = SafetensorsFile.Open(path);
                foreach (var t in file.Tensors) _ = t.Bytes.Length;
            }
            catch (InvalidModelFileException e)
            {
                Assert.Contains("fuzz.safetensors", e.Message);
                rejected++;
            }
        }
        Assert.InRange(rejected, 1, 499);
    }
}
