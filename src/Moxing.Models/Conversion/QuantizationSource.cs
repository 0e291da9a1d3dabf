using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Quantization;

namespace Moxing.Models.Conversion;

/// <summary>A model opened as input to <see cref="GgufQuantizer"/>: a GGUF of any type (quantized weights are decoded first), or a
/// Hugging Face folder (decoders as convert_hf_to_gguf.py converts them, encoders too).</summary>
public sealed class QuantizationSource : IDisposable
{
    private readonly IDisposable _owner;

    private QuantizationSource(IQuantizationInput input, IDisposable owner)
    {
        Input = input;
        _owner = owner;
    }

    /// <summary>The tensors and metadata the quantizer reads.</summary>
    public IQuantizationInput Input { get; }

    /// <summary>Opens the GGUF file or Hugging Face folder at <paramref name="path"/>; a clear error when it is neither.</summary>
    public static QuantizationSource Open(string path)
    {
        if (Directory.Exists(path) && EncoderGgufInput.Converts(path))
        {
            var encoder = new EncoderGgufInput(path);
            return new QuantizationSource(encoder, encoder);
        }
        if (Directory.Exists(path))
        {
            var folder = new HfGgufInput(path);
            return new QuantizationSource(folder, folder);
        }
        if (!File.Exists(path)) throw new MoxingException($"{path}: no such GGUF file or Hugging Face folder");
        if (!GgufFile.HasMagic(path)) throw new MoxingException($"{path} is not a GGUF file (quantize reads GGUF files and Hugging Face folders)");
        var file = GgufFile.Open(path);
        return new QuantizationSource(new GgufQuantizationInput(file), file);
    }

    /// <inheritdoc />
    public void Dispose() => _owner.Dispose();
}
