using Moxing.Core;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// EXAONE 4.0 (HF and GGUF `exaone4`; EXAONE-4.0-1.2B/32B): OLMo 2's block (RMSNorms after attention and after the MLP, none
/// before), a per-head RMSNorm of queries and keys before RoPE, llama3 RoPE scaling, and hybrid attention: layers of
/// `layer_types` (else `sliding_window_pattern`, a period or a string such as "LLLG") slide over `sliding_window` positions,
/// and when a window is set the full-attention layers rotate nothing (transformers' Exaone4Attention: "global NoPE").
/// llama.cpp slides only the 64-layer shape (32B), by the GGUF's pattern or every 4th layer full, and rotates every layer otherwise.
/// </summary>
public sealed class Exaone4Family : IDecoderFamily
{
    /// <summary>The layer count at which llama.cpp's exaone4 turns on its sliding window (EXAONE-4.0-32B); other shapes attend in full.</summary>
    public const int LlamaCppSlidingLayers = 64;

    // Exaone4Config's defaults: a window of 4096 when the key is absent, every 4th layer full.
    private const int DefaultWindow = 4096, DefaultPeriod = 4;

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["exaone4"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["exaone4"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames => Olmo2Family.PostNormHfNames;

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => Olmo2Family.PostNormGgufNames;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig c)
    {
        var o = Exaone4(c.Common("exaone4")) with { NormEps = c.GetFloat("rms_norm_eps", 1e-5f), Activation = HfActivation.Read(c, "hidden_act", "silu") };
        // null (Has is false for it) means no window; an absent key is the config class's 4096.
        var window = c.Keys.Contains("sliding_window") ? c.GetInt("sliding_window", 0) : DefaultWindow;
        if (window < 0) throw c.Error("sliding_window", $"is {window}; it must not be negative");
        var types = c.GetStringList("layer_types");
        if (types.Length != 0 && types.Length != o.LayerCount) throw c.Error("layer_types", $"has {types.Length} entries for {o.LayerCount} layers");
        if (window == 0) return o;
        Func<int, bool> sliding = types.Length > 0 ? i => types[i] == "sliding_attention" : SlidingPattern(c);
        var windows = Enumerable.Range(0, o.LayerCount).Select(i => sliding(i) ? window : 0).ToArray();
        return o with { SlidingWindows = windows, NoRopeLayers = windows.Select(v => v == 0).ToArray() };
    }

    // Which layers slide when layer_types is absent: sliding_window_pattern as a period (the last of every n full) or a string of
    // L (local) and G (global) repeated over the layers.
    private static Func<int, bool> SlidingPattern(HfConfig c)
    {
        if (c.IsString("sliding_window_pattern"))
        {
            var pattern = c.GetString("sliding_window_pattern");
            if (pattern.Length == 0 || pattern.Any(ch => ch is not ('L' or 'G')))
                throw c.Error("sliding_window_pattern", $"is '{pattern}'; expected a string of L (sliding) and G (full) layers");
            return i => pattern[i % pattern.Length] == 'L';
        }
        var period = c.GetInt("sliding_window_pattern", DefaultPeriod);
        if (period <= 0) throw c.Error("sliding_window_pattern", $"is {period}; it must be positive when sliding_window is set");
        return i => (i + 1) % period != 0;
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var o = Exaone4(p.Common(RopeStyle.Half));
        // EXAONE 4.5's next-token-prediction layers come after the model's own.
        o = o with { LayerCount = p.WithoutNextN(o.LayerCount) };
        if (o.LayerCount != LlamaCppSlidingLayers) return o;
        // llama.cpp: window 4096 unless the key says otherwise; windowed layers rotate (by rope.freq_base_swa when given), the others not.
        var window = p.Int("attention.sliding_window", DefaultWindow);
        var sliding = p.SlidingLayers(o.LayerCount, DefaultPeriod);
        var swaBase = p.Float("rope.freq_base_swa", (float)o.Rope!.Theta);
        return o with
        {
            SlidingWindows = sliding.Select(s => s ? window : 0).ToArray(),
            NoRopeLayers = sliding.Select(s => !s).ToArray(),
            SlidingRope = swaBase == (float)o.Rope.Theta ? null : o.Rope with { Theta = swaBase },
        };
    }

    private static DecoderOptions Exaone4(DecoderOptions o) => o with { PreNorms = false, PostNorms = true, QkNorm = true };
}
