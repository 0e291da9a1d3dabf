using Moxing.Core.Formats.Gguf;
using Moxing.Core.Tensors;

namespace Moxing.Core.Quantization;

/// <summary>
/// A tensor's name, stored type and shape (outermost first), before its bytes are read; <paramref name="KeepType"/>: written
/// as stored whatever the mix (as convert_hf_to_gguf.py writes a gpt-oss checkpoint's MXFP4 experts).
/// </summary>
public sealed record TensorHeader(string Name, DType Type, long[] Shape, bool KeepType = false);

/// <summary>
/// What <see cref="GgufQuantizer"/> reads: GGUF metadata and tensors under llama.cpp's names, each tensor's bytes lent
/// on demand (so a converted model need not be held in memory).
/// </summary>
public interface IQuantizationInput
{
    /// <summary>The file or folder read, for messages.</summary>
    string SourcePath { get; }

    /// <summary>The GGUF metadata the output starts from.</summary>
    GgufMetadata Metadata { get; }

    /// <summary>Every tensor, in the order a converter would write them.</summary>
    IReadOnlyList<TensorHeader> Tensors { get; }

    /// <summary>Lends the bytes of tensor <paramref name="name"/> (in its header's type and shape) to <paramref name="use"/> for the call's duration.</summary>
    void Read(string name, Action<StoredTensor> use);
}

/// <summary>A GGUF file as quantization input: its metadata and memory-mapped tensors as they are.</summary>
public sealed class GgufQuantizationInput(GgufFile file) : IQuantizationInput
{
    /// <inheritdoc />
    public string SourcePath => file.FilePath;

    /// <inheritdoc />
    public GgufMetadata Metadata => file.Metadata;

    /// <inheritdoc />
    public IReadOnlyList<TensorHeader> Tensors { get; } = file.Tensors.Select(t => new TensorHeader(t.Name, t.Type, t.Shape)).ToArray();

    /// <inheritdoc />
    public void Read(string name, Action<StoredTensor> use) =>
        use(file.Find(name) ?? throw new InvalidModelFileException(file.FilePath, $"tensor '{name}' is missing"));
}
