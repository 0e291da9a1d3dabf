using Moxing.Core.Formats.Gguf;
using Moxing.Core.Tensors;

namespace Moxing.Core.Tests.Formats;

public class GgufBadInputTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private InvalidModelFileException AssertInvalid(GgufBytes bytes, string problem)
    {
        var path = _temp.Write("bad.gguf", bytes.ToArray());
        return InvalidFile.Assert(path, problem, () => GgufFile.Open(path));
    }

    /// <summary>A header with one F32 tensor "w" of <paramref name="ne"/>, data following.</summary>
    private static GgufBytes OneTensor(ulong[] ne, uint type = (uint)DType.F32, ulong offset = 0, int dataBytes = 32) =>
        GgufBytes.Header(1, 0).Tensor("w", ne, type, offset).PadTo(32).Zeros(dataBytes);

    [Fact]
    public void WellFormedCraftedFileOpens()
    {
        var path = _temp.Write("good.gguf", OneTensor([8]).ToArray());
        using var file = GgufFile.Open(path);
        Assert.Equal([8L], file.Tensors[0].Shape);
    }

    [Fact]
    public void NotGguf() => AssertInvalid(new GgufBytes().Bytes("GGML"u8.ToArray()).U32(3).U64(0).U64(0), "not a GGUF file");

    [Fact]
    public void TooShortForAHeader() => AssertInvalid(new GgufBytes().Bytes("GGU"u8.ToArray()), "too short");

    [Fact]
    public void Version1() => AssertInvalid(GgufBytes.Header(0, 0, 1), "version 1 is not supported");

    [Fact]
    public void BigEndianFile() => AssertInvalid(GgufBytes.Header(0, 0, 0x03000000), "big-endian");

    [Fact]
    public void FutureVersion() => AssertInvalid(GgufBytes.Header(0, 0, 4), "version 4 is not supported");

    [Fact]
    public void TensorCountOfTwoToThe62() => AssertInvalid(GgufBytes.Header(1UL << 62, 0), "the tensor count is 4611686018427387904");

    [Fact]
    public void KvCountBeyondTheFile() => AssertInvalid(GgufBytes.Header(0, 1_000_000).KvU32("a", 1), "key/value count is 1000000");

    [Fact]
    public void KeyLengthBeyondTheFile() => AssertInvalid(GgufBytes.Header(0, 1).U64(1UL << 62).Zeros(8), "runs past the end");

    [Fact]
    public void InvalidUtf8Key()
    {
        var e = AssertInvalid(GgufBytes.Header(0, 1).U64(2).Bytes(0xC3, 0x28).U32((uint)GgufValueType.UInt8).U8(1), "not valid UTF-8");
        Assert.Contains("metadata entry #0", e.Message);
        Assert.Contains("at byte 32", e.Message);
    }

    [Fact]
    public void InvalidUtf8Value() =>
        AssertInvalid(GgufBytes.Header(0, 1).Str("general.name").U32((uint)GgufValueType.String).U64(3).Bytes(0x61, 0xFF, 0x62),
            "not valid UTF-8 (in metadata key 'general.name'");

    [Fact]
    public void HugeByteArray() =>
        AssertInvalid(GgufBytes.Header(0, 1).Str("a").U32((uint)GgufValueType.Array).U32((uint)GgufValueType.UInt8).U64(1UL << 60).Zeros(16),
            "the array length is 1152921504606846976");

    [Fact]
    public void HugeStringArray() =>
        AssertInvalid(GgufBytes.Header(0, 1).Str("tokenizer.ggml.tokens").U32((uint)GgufValueType.Array).U32((uint)GgufValueType.String).U64(1UL << 58).Zeros(16),
            "array length");

    [Fact]
    public void StringArrayEntryBeyondTheFile() =>
        AssertInvalid(GgufBytes.Header(0, 1).Str("t").U32((uint)GgufValueType.Array).U32((uint)GgufValueType.String).U64(2).Str("ok").U64(1UL << 40),
            "runs past the end");

    [Fact]
    public void UnknownValueType() => AssertInvalid(GgufBytes.Header(0, 1).Str("a").U32(13).U32(0), "unknown value type 13");

    [Fact]
    public void ArraysNestedTooDeep()
    {
        var bytes = GgufBytes.Header(0, 1).Str("deep").U32((uint)GgufValueType.Array);
        for (var i = 0; i < 40; i++) bytes.U32((uint)GgufValueType.Array).U64(1);
        AssertInvalid(bytes.U32((uint)GgufValueType.UInt8).U64(0), "nested more than 16");
    }

    [Fact]
    public void DuplicateKey() => AssertInvalid(GgufBytes.Header(0, 2).KvU32("a", 1).KvU32("a", 2), "metadata key 'a' appears twice");

    [Fact]
    public void AlignmentNotAPowerOfTwo() =>
        AssertInvalid(GgufBytes.Header(0, 1).KvU32(GgufFile.AlignmentKey, 48), "'general.alignment' is 48, expected a power of two");

    [Fact]
    public void AlignmentOfTheWrongType() =>
        AssertInvalid(GgufBytes.Header(0, 1).KvString(GgufFile.AlignmentKey, "32"), "metadata key 'general.alignment' is string, expected an integer");

    [Fact]
    public void TooManyDimensions() => AssertInvalid(OneTensor([1, 1, 1, 1, 8]), "tensor 'w' has 5 dimensions");

    [Fact]
    public void ZeroDimension() => AssertInvalid(OneTensor([8, 0]), "tensor 'w' dimension 1 is 0");

    [Fact]
    public void ElementCountOverflows() => AssertInvalid(OneTensor([1UL << 31, 1UL << 31, 1UL << 31, 1UL << 31]), "more than 2^63 elements");

    [Fact]
    public void TwoToThe60ElementsDoNotFitTheFile() => AssertInvalid(OneTensor([1UL << 30, 1UL << 30], (uint)DType.I8), "runs past the end");

    [Fact]
    public void UnknownTypeIdNamesTensorAndId() => AssertInvalid(OneTensor([8], 99), "tensor 'w' has ggml type id 99, which is not supported");

    [Fact]
    public void UnsupportedKnownType() => AssertInvalid(OneTensor([256], (uint)DType.Q8_1), "type id 9 (Q8_1)");

    [Fact]
    public void NonGgmlTypeId() => AssertInvalid(OneTensor([8], (uint)DType.U8), "type id 1000");

    [Fact]
    public void RowNotAWholeNumberOfBlocks() => AssertInvalid(OneTensor([16, 2], (uint)DType.Q8_0), "not a multiple of the block size 32");

    [Fact]
    public void UnalignedOffset() => AssertInvalid(OneTensor([2], offset: 4), "offset 4 is not a multiple of the alignment 32");

    [Fact]
    public void DataPastTheEnd() => AssertInvalid(OneTensor([16], dataBytes: 32), "runs past the end of the 32-byte data area");

    [Fact]
    public void OverlappingTensors() =>
        AssertInvalid(GgufBytes.Header(2, 0).Tensor("a", [16], (uint)DType.F32, 0).Tensor("b", [8], (uint)DType.F32, 32).PadTo(32).Zeros(64),
            "tensor 'b' data at offset 32 overlaps tensor 'a' [0, 64)");

    [Fact]
    public void DuplicateTensorName() =>
        AssertInvalid(GgufBytes.Header(2, 0).Tensor("a", [8], (uint)DType.F32, 0).Tensor("a", [8], (uint)DType.F32, 32).PadTo(32).Zeros(64),
            "tensor 'a' appears twice");

    /// <summary>A small valid file: metadata of several types, two tensors that end exactly at the end of the file.</summary>
    private static byte[] SmallFile()
    {
        using var stream = new MemoryStream();
        new GgufWriter().Set("general.architecture", "llama").Set("llama.block_count", 2u).Set("f", 0.5f)
            .Set("tokenizer.ggml.tokens", new[] { "a", "bc", "☃" }).Set("tokenizer.ggml.scores", new[] { 0f, -1f, -2f })
            .Set("nested", new object[] { new[] { 1, 2 } })
            .AddTensor("a", DType.I8, [32], new byte[32]).AddF32("b", [2, 4], new float[8]).Write(stream);
        return stream.ToArray();
    }

    [Fact]
    public void EveryTruncationIsRejected()
    {
        var full = SmallFile();
        using (var whole = GgufFile.Open(_temp.Write("whole.gguf", full))) Assert.Equal(2, whole.Tensors.Count);
        for (var cut = 0; cut < full.Length; cut++)
        {
            var path = _temp.Write($"cut{cut}.gguf", full.AsSpan(0, cut));
            var e = Assert.Throws<InvalidModelFileException>(() => GgufFile.Open(path).Dispose());
            Assert.Contains($"cut{cut}.gguf", e.Message);
        }
    }

    [Fact]
    public void ByteFlipsOnlyEverRaiseOurException()
    {
        var full = SmallFile();
        var rng = new Random(12345);
        var path = _temp.File("fuzz.gguf");
        var rejected = 0;
        for (var round = 0; round < 1000; round++)
        {
            var bytes = (byte[])full.Clone();
            for (var flips = rng.Next(1, 4); flips > 0; flips--)
                bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
            File.WriteAllBytes(path, bytes);
            try
            {
                using var file = GgufFile.Open(path);
                foreach (var t in file.Tensors) _ = t.Bytes.Length;
            }
            catch (InvalidModelFileException e)
            {
                Assert.Contains("fuzz.gguf", e.Message);
                rejected++;
            }
        }
        Assert.InRange(rejected, 1, 999);
    }
}
