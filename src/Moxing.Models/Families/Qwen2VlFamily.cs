using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// Qwen2-VL and Qwen2.5-VL's language model (HF `qwen2_vl` / `qwen2_5_vl`, Qwen2(_5)VLForConditionalGeneration; GGUF `qwen2vl`, which
/// llama.cpp's converter writes for both): Qwen2's decoder whose rotary pairs are split into M-RoPE sections (mrope_section,
/// rope.dimension_sections) rotated by an image token's temporal, row and column position (<see cref="EmbeddedSpan.GridWidth"/>);
/// text alone takes three equal positions and runs as Qwen2. The text model is read from the config's top level (the published
/// checkpoints) or its text_config (transformers ≥ 4.53), its tensors under model.* or model.language_model.*; the vision tower is left to
/// the vision loader.
/// </summary>
public sealed class Qwen2VlFamily : IDecoderFamily
{
    private static readonly QwenFamily Qwen = new();

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["qwen2_vl", "qwen2_5_vl"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["qwen2vl"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = DecoderTensorNames.HuggingFace with
    {
        NestedPrefixes = Gemma3Family.LanguageModelPrefixes,
        IgnoredPrefixes = ["visual.", "model.visual."],
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <summary>The language model's config: the text_config when the config has one, else the config itself.</summary>
    public static HfConfig TextConfig(HfConfig c) => c.TryGetSection("text_config", out var text) ? text : c;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var text = TextConfig(config);
        var o = Qwen.FromHf(text.WithDefaults($$"""{"model_type": "{{config.GetString("model_type")}}"}"""));
        // transformers ≥ 4.56 keeps mrope_section in rope_parameters, earlier ones in rope_scaling ({"type": "mrope", ...}).
        var section = text.TryGetSection("rope_parameters", out var p) && p.Has("mrope_section") ? p
            : text.TryGetSection("rope_scaling", out var s) && s.Has("mrope_section") ? s
            : throw text.Error("rope_scaling", "has no mrope_section; Qwen2-VL's multi-section RoPE needs it");
        return WithSections(o, section.GetIntList("mrope_section"), config.FilePath);
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var o = Qwen.FromGguf(file);
        var key = "qwen2vl.rope.dimension_sections";
        if (!file.Metadata.TryGetArray<int>(key, out var sections))
            throw new InvalidModelFileException(file.FilePath, $"key '{key}' is missing; Qwen2-VL's multi-section RoPE needs it");
        // llama.cpp writes four sections, the fourth (unused by qwen2vl) 0.
        if (sections.Length > 3 && sections.Skip(3).Any(n => n != 0))
            throw new InvalidModelFileException(file.FilePath, $"key '{key}' is [{string.Join(", ", sections)}]; a fourth M-RoPE section is not supported");
        return WithSections(o, [.. sections.Take(3)], file.FilePath);
    }

    // transformers splits the rotary dimensions by the doubled sections, so they must cover the rotated pairs exactly.
    private static DecoderOptions WithSections(DecoderOptions o, int[] sections, string path)
    {
        var rope = o.Rope!;
        if (sections.Length is 0 or > 3 || sections.Any(n => n < 0) || sections.Sum() != rope.RotaryDim / 2)
            throw new InvalidModelFileException(path, $"M-RoPE sections [{string.Join(", ", sections)}] must be up to three counts that add up to the {rope.RotaryDim / 2} rotated pairs");
        return o with { Rope = rope with { Sections = sections } };
    }
}
