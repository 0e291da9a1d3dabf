using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Models.Decoder;

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
}
