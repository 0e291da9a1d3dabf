using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// Plain Mamba2 GGUFs (`mamba2`; Mamba-Codestral-7B, mamba2-130m..2.7b as llama.cpp's Mamba2Model converts them): every block
/// an RMSNorm and a Mamba2 mixer (<see cref="MambaOptions"/>, its gated norm per B/C group as llama.cpp computes it), no
/// attention and no feed-forward; the sequence's whole memory is its recurrent state.
/// </summary>
public sealed class Mamba2Family : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = [];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["mamba2"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames => GgufNames;

    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = new GraniteHybridFamily().GgufNames;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config) => throw config.Error("model_type", "is mamba2, which Moxing reads from GGUF files only (convert with llama.cpp)");

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var o = MambaMixers.RecurrentOnly(p, file);
        return o with { Mamba = MambaMixers.FromGguf(p, file.FilePath, [.. Enumerable.Repeat(true, o.LayerCount)]) };
    }
}
