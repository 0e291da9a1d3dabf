using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Layers;

namespace Moxing.Models.Families;

/// <summary>A decoder family: how its HF config and GGUF keys become <see cref="DecoderOptions"/> and where its tensors live.</summary>
public interface IDecoderFamily
{
    /// <summary>HF `model_type` values this family reads (e.g. "llama", "mistral").</summary>
    IReadOnlyList<string> ModelTypes { get; }

    /// <summary>GGUF `general.architecture` values this family reads.</summary>
    IReadOnlyList<string> GgufArchitectures { get; }

    /// <summary>Options from an HF config.json.</summary>
    DecoderOptions FromHf(HfConfig config);

    /// <summary>Tensor names of HF checkpoints.</summary>
    DecoderTensorNames HfNames { get; }

    /// <summary>Options from GGUF metadata.</summary>
    DecoderOptions FromGguf(GgufFile file);

    /// <summary>Tensor names of GGUF files.</summary>
    DecoderTensorNames GgufNames { get; }

    /// <summary>
    /// Tensors an HF checkpoint (<paramref name="tensors"/>, read from <paramref name="path"/>) stores in a layout of its own,
    /// as <see cref="HfNames"/> expects them (gpt-oss's fused, MXFP4 or transposed experts); none for most families.
    /// </summary>
    IReadOnlyList<DerivedTensor> DerivedHfTensors(ITensorSource tensors, DecoderOptions options, string path) => [];
}

/// <summary>Opening a family's Hugging Face folder as its decoder reads it.</summary>
public static class DecoderFamilies
{
    /// <summary>
    /// The tensors of <paramref name="folder"/> under <paramref name="family"/>'s HF names: nested prefixes resolved
    /// (<see cref="DecoderTensorNames.View"/>) and derived tensors computed (<see cref="DerivedTensors"/>).
    /// </summary>
    public static ITensorSource OpenHf(this IDecoderFamily family, string folder, DecoderOptions options)
    {
        var source = family.HfNames.View(ModelTensors.OpenFolder(folder), folder);
        IReadOnlyList<DerivedTensor> derived;
        try
        {
            derived = family.DerivedHfTensors(source, options, folder);
        }
        catch
        {
            source.Dispose();
            throw;
        }
        // DerivedTensors owns the source from here, and disposes it if computing fails.
        return derived.Count == 0 ? source : new DerivedTensors(source, derived);
    }
}
