using System.Runtime.InteropServices;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.Safetensors;
using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Tensors;
using Moxing.Tests;

namespace Moxing.Core.Tests.Quantization;

/// <summary>Every tensor gguf-py dequantized from the llama-k256 files must come out of <see cref="Dequantizer"/> bit for bit.</summary>
public class GgufDequantFixtureTests
{
    private const string TypeSuffix = ".ggml_type";

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(Fixtures.Path("gguf"), "llama-k256.*.dequant.safetensors").Order())
            data.Add(Path.GetFileName(path));
        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void DequantizedTensorsEqualGgufPy(string dequantFile)
    {
        var ggufFile = dequantFile.Replace(".dequant.safetensors", ".gguf");
        using var gguf = GgufFile.Open(Fixtures.Path("gguf", ggufFile));
        using var reference = SafetensorsFile.Open(Fixtures.Path("gguf", dequantFile));
        var checkedTensors = 0;
        foreach (var expected in reference.Tensors)
        {
            if (expected.Name.EndsWith(TypeSuffix, StringComparison.Ordinal)) continue;
            var typeId = MemoryMarshal.Read<int>(reference.Find(expected.Name + TypeSuffix)!.Bytes);
            var stored = gguf.Find(expected.Name) ?? throw new Xunit.Sdk.XunitException($"{ggufFile} has no {expected.Name}");
            Assert.Equal((DType)typeId, stored.Type);
            Assert.Equal(expected.Shape, stored.Shape);
            var want = MemoryMarshal.Cast<byte, float>(expected.Bytes).ToArray();
            foreach (var path in SimdPaths.Supported)
            {
                var actual = new float[stored.ElementCount];
                Dequantizer.Dequantize(stored.Type, stored.Bytes, actual, path);
                DequantizerTests.AssertBits(want, actual, $"{ggufFile} {expected.Name} ({stored.Type}) on {path}");
            }
            checkedTensors++;
        }
        Assert.Equal(4, checkedTensors);
    }

    [Fact]
    public void FixturesCoverEveryQuantizedType()
    {
        var seen = new HashSet<DType>();
        foreach (var file in Directory.GetFiles(Fixtures.Path("gguf"), "llama-k256.*.dequant.safetensors"))
        {
            using var reference = SafetensorsFile.Open(file);
            foreach (var t in reference.Tensors)
                if (t.Name.EndsWith(TypeSuffix, StringComparison.Ordinal))
                    seen.Add((DType)MemoryMarshal.Read<int>(t.Bytes));
        }
        // llama-quantize writes MXFP4 only into expert tensors, which llama-k256 has none of: MXFP4 is checked against a
        // port of ggml's decoder (GgmlReference) and against llama.cpp through a whole gpt-oss model (docs/MODELS.md)
        var wanted = RandomWeights.Types.Where(t => t is not DType.F32 and not DType.MXFP4);
        Assert.Empty(wanted.Except(seen));
    }
}
