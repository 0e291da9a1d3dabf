using Moxing.Core;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// Mistral 3 (HF `mistral3`, Mistral3ForConditionalGeneration: Mistral-Small-3.1/3.2, Devstral, Magistral as published with the
/// vision tower; GGUF `mistral3` as llama.cpp's converter now writes them, `llama` as it wrote them before): the language model is
/// Mistral's (its `text_config`, model_type mistral), run as <see cref="LlamaFamily"/> runs it; the vision tower and projector are
/// left out as Gemma 3's are. Ministral 3's text model (`ministral3`: YaRN with llama 4's attention-temperature scaling) is refused.
/// </summary>
public sealed class Mistral3Family : IDecoderFamily
{
    private static readonly LlamaFamily Llama = new();

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["mistral3"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["mistral3"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = DecoderTensorNames.HuggingFace with
    {
        NestedPrefixes = Gemma3Family.LanguageModelPrefixes,
        IgnoredPrefixes = Gemma3Family.VisionPrefixes,
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <summary>The language model's config: the text_config of a mistral3 config.json, whose model_type must be mistral.</summary>
    public static HfConfig TextConfig(HfConfig c)
    {
        var text = c.GetSection("text_config");
        var type = text.GetString("model_type", "mistral");
        if (type != "mistral") throw text.Error("model_type", $"is '{type}'; Mistral 3's language model is read for mistral only (Ministral 3's llama 4 attention scaling is not supported)");
        return text;
    }

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config) => Llama.FromHf(TextConfig(config)) with { Architecture = "mistral3" };

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        if (file.Metadata.ContainsKey("mistral3.attention.temperature_scale"))
            throw new InvalidModelFileException(file.FilePath, "key 'mistral3.attention.temperature_scale' is set; Ministral 3's attention-temperature scaling is not supported");
        return Llama.FromGguf(file);
    }
}
