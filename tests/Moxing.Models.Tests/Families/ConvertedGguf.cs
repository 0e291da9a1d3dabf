using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Models.Conversion;

namespace Moxing.Models.Tests.Families;

/// <summary>A checkpoint folder converted to an F32 GGUF as `moxing quantize` writes it, in a temporary folder deleted with this.</summary>
internal sealed class ConvertedGguf : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-converted-").FullName;

    /// <summary>The GGUF's path.</summary>
    public string Path { get; }

    public ConvertedGguf(string folder)
    {
        Path = System.IO.Path.Combine(_dir, "model.gguf");
        using var input = new HfGgufInput(folder);
        GgufQuantizer.Quantize(input, Path, QuantizationMix.Find("F32")!, null, WorkerPool.Shared);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
