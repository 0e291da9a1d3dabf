using System.Globalization;
using Moxing.Core;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;
using Moxing.Text.Tokenization.Gguf;

namespace Moxing.Models.Conversion;

/// <summary>The GGUF metadata llama.cpp's convert_hf_to_gguf.py writes for a decoder folder: general.*, {arch}.* hyper-parameters and the tokenizer.</summary>
public static class HfGgufMetadata
{
    /// <summary>The GGUF architecture name of HF <paramref name="modelType"/> (Mistral is written as llama), or null when it cannot be converted.</summary>
    public static string? Architecture(string modelType) => modelType switch
    {
        "llama" or "mistral" => "llama",
        "qwen2" or "qwen3" or "gpt2" => modelType,
        _ => null,
    };

    /// <summary>The keys for <paramref name="folder"/>, whose config.json <paramref name="config"/> reads as <paramref name="options"/>.</summary>
    public static Dictionary<string, object> Build(string folder, HfConfig config, DecoderOptions options, string architecture)
    {
        var o = options;
        var m = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["general.architecture"] = architecture,
            ["general.type"] = "model",
            ["general.name"] = DisplayName(folder),
        };
        void Arch(string key, object value) => m[$"{architecture}.{key}"] = value;
        Arch("block_count", (uint)o.LayerCount);
        Arch("context_length", (uint)o.MaxContext);
        Arch("embedding_length", (uint)o.HiddenSize);
        Arch("feed_forward_length", (uint)o.IntermediateSize);
        Arch("attention.head_count", (uint)o.HeadCount);
        if (o.Norm == NormKind.Layer)
        {
            Arch("attention.layer_norm_epsilon", o.NormEps);
        }
        else
        {
            Arch("attention.head_count_kv", (uint)o.KvHeadCount);
            Arch("attention.layer_norm_rms_epsilon", o.NormEps);
        }
        if (config.Has("head_dim") || o.HeadDim * o.HeadCount != o.HiddenSize)
        {
            Arch("attention.key_length", (uint)o.HeadDim);
            Arch("attention.value_length", (uint)o.HeadDim);
        }
        if (o.Rope is { } rope) AddRope(m, architecture, rope, config);
        if (architecture == "llama")
        {
            Arch("vocab_size", (uint)o.VocabSize);
            if (o.SlidingWindows.Length > 0 && o.SlidingWindows.Distinct().Count() == 1 && o.SlidingWindows[0] > 0)
                Arch("attention.sliding_window", (uint)o.SlidingWindows[0]);
        }
        if (File.Exists(Path.Combine(folder, "tokenizer.json")))
        {
            foreach (var (key, value) in HfTokenizerToGguf.Metadata(folder, o.VocabSize, ConfigTokenIds(config))) m[key] = value;
        }
        else
        {
            // llama.cpp's marker for a model without a tokenizer; it then sizes the vocabulary from {arch}.vocab_size.
            m["tokenizer.ggml.model"] = "no_vocab";
            Arch("vocab_size", (uint)o.VocabSize);
        }
        return m;
    }

    /// <summary>general.size_label as gguf-py rounds a parameter count: two significant digits at least, K/M/B/T ("224K", "2.1M", "7.6B").</summary>
    public static string SizeLabel(long parameters)
    {
        var (scaled, suffix) = parameters > 1e12 ? (parameters * 1e-12, "T") : parameters > 1e9 ? (parameters * 1e-9, "B")
            : parameters > 1e6 ? (parameters * 1e-6, "M") : (parameters * 1e-3, "K");
        var digits = Math.Max(2 - Math.Round(scaled).ToString(CultureInfo.InvariantCulture).TrimStart('0').Length, 0);
        return scaled.ToString("F" + digits, CultureInfo.InvariantCulture) + suffix;
    }

    /// <summary>llama3-style scaling as per-pair frequency divisors (llama.cpp's rope_freqs.weight), or null for other schedules.</summary>
    public static float[]? RopeFrequencyFactors(RopeConfig rope)
    {
        if (rope.Scaling != RopeScaling.Llama3) return null;
        var plain = (rope with { Scaling = RopeScaling.Default }).InverseFrequencies();
        var scaled = rope.InverseFrequencies();
        return plain.Select((f, i) => (float)(f / scaled[i])).ToArray();
    }

    private static void AddRope(Dictionary<string, object> m, string architecture, RopeConfig rope, HfConfig config)
    {
        void Arch(string key, object value) => m[$"{architecture}.{key}"] = value;
        Arch("rope.freq_base", (float)rope.Theta);
        if (architecture == "llama") Arch("rope.dimension_count", (uint)rope.RotaryDim);
        switch (rope.Scaling)
        {
            case RopeScaling.Linear:
                Arch("rope.scaling.type", "linear");
                Arch("rope.scaling.factor", (float)rope.Factor);
                break;
            case RopeScaling.Yarn:
                Arch("rope.scaling.type", "yarn");
                Arch("rope.scaling.factor", (float)rope.Factor);
                Arch("rope.scaling.original_context_length", (uint)rope.OriginalContext);
                Arch("rope.scaling.yarn_beta_fast", (float)rope.BetaFast);
                Arch("rope.scaling.yarn_beta_slow", (float)rope.BetaSlow);
                if (rope.AttentionFactor is { } f) Arch("rope.scaling.attn_factor", (float)f);
                break;
            case RopeScaling.Llama3 when architecture != "llama":
                throw config.Error("rope_scaling", $"is llama3-style, which llama.cpp expresses only for the llama architecture, not {architecture}");
        }
    }

    private static Dictionary<string, int> ConfigTokenIds(HfConfig config)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var kind in new[] { "bos", "eos", "unk", "pad" })
            if (config.GetIntList($"{kind}_token_id") is [var id, ..]) ids[kind] = id;
        return ids;
    }

    // convert_hf_to_gguf.py names the model after its folder: "llama-tiny" → "Llama Tiny".
    private static string DisplayName(string folder)
    {
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
        var words = name.Split(['-', '_', ' '], StringSplitOptions.RemoveEmptyEntries);
        return string.Join(' ', words.Select(w => char.ToUpper(w[0], CultureInfo.InvariantCulture) + w[1..]));
    }
}
