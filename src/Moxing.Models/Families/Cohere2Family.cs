using Moxing.Core;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// Cohere2 (HF and GGUF `cohere2`; command-r7b, aya-expanse successors): Cohere's parallel block with a sliding window on
/// three of every four layers (sliding_window_pattern 4, or layer_types), rotary embeddings on the sliding layers only —
/// the full-attention layers use no positions at all.
/// </summary>
public sealed class Cohere2Family : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["cohere2"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["cohere2"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames => DecoderTensorNames.HuggingFace;

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig c)
    {
        var o = CohereFamily.FromHfConfig(c, "cohere2");
        var period = c.GetInt("sliding_window_pattern", 4);
        if (period < 1) throw c.Error("sliding_window_pattern", $"is {period}; it must be at least 1");
        // Cohere2Config: layer i slides when (i + 1) % pattern != 0, unless layer_types lists them.
        var windows = c.SlidingWindows(o.LayerCount, i => (i + 1) % period != 0);
        return Windowed(o, windows);
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        if (!p.Has("logit_scale")) throw new InvalidModelFileException(file.FilePath, "key 'cohere2.logit_scale' is missing; llama.cpp's cohere2 requires it");
        if (!p.Has("attention.sliding_window")) throw new InvalidModelFileException(file.FilePath, "key 'cohere2.attention.sliding_window' is missing; llama.cpp's cohere2 requires it");
        var o = CohereFamily.Cohere(p.Common(RopeStyle.Interleaved));
        var window = p.Int("attention.sliding_window");
        var scale = p.Float("logit_scale", 0f);
        // llama.cpp rotates every windowed layer by rope.freq_base (freq_base_swa is read but unused).
        var windows = p.SlidingLayers(o.LayerCount, 4).Select(s => s ? window : 0).ToArray();
        return Windowed(o with { LogitDivisor = scale != 0 ? 1 / scale : 1 }, windows);
    }

    private static DecoderOptions Windowed(DecoderOptions o, int[] windows) =>
        o with { SlidingWindows = windows, NoRopeLayers = windows.Select(w => w == 0).ToArray() };
}
