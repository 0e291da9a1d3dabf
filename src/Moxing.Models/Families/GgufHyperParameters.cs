using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Core.Quantization;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>Reads llama.cpp's `{arch}.*` hyper-parameter keys shared by every decoder architecture.</summary>
internal sealed class GgufHyperParameters(GgufFile file)
{
    /// <summary>The value of general.architecture.</summary>
    public string Architecture { get; } = file.Metadata.GetString("general.architecture");

    private string Key(string suffix) => $"{Architecture}.{suffix}";

    public int Int(string suffix) => file.Metadata.GetInt32(Key(suffix));

    public int Int(string suffix, int fallback) => file.Metadata.TryGetInt32(Key(suffix), out var v) ? v : fallback;

    public float Float(string suffix, float fallback) => file.Metadata.TryGetSingle(Key(suffix), out var v) ? v : fallback;

    public bool Has(string suffix) => file.Metadata.ContainsKey(Key(suffix));

    /// <summary>head_count_kv may be one number or one per layer; the decoder needs one.</summary>
    public int KvHeads(int heads)
    {
        if (!file.Metadata.TryGetValue(Key("attention.head_count_kv"), out var v)) return heads;
        if (v is Array a)
        {
            var values = a.Cast<object>().Select(Convert.ToInt32).Distinct().ToArray();
            if (values.Length != 1) throw new InvalidModelFileException(file.FilePath, "per-layer key/value head counts differ; not supported");
            return values[0];
        }
        return file.Metadata.GetInt32(Key("attention.head_count_kv"));
    }

    /// <summary>The options every llama-like architecture shares, from the standard keys and the embedding's shape.</summary>
    public DecoderOptions Common(RopeStyle ropeStyle)
    {
        var hidden = Int("embedding_length");
        var heads = Int("attention.head_count");
        var headDim = Int("attention.key_length", heads == 0 ? 0 : hidden / heads);
        var embedding = file.Find("token_embd.weight") ?? throw new InvalidModelFileException(file.FilePath, "tensor 'token_embd.weight' is missing");
        return new DecoderOptions
        {
            Architecture = Architecture,
            VocabSize = checked((int)embedding.Shape[0]),
            HiddenSize = hidden,
            LayerCount = Int("block_count"),
            HeadCount = heads,
            KvHeadCount = KvHeads(heads),
            HeadDim = headDim,
            IntermediateSize = Int("feed_forward_length"),
            MaxContext = Int("context_length", 2048),
            NormEps = Float("attention.layer_norm_rms_epsilon", Float("attention.layer_norm_epsilon", 1e-5f)),
            Rope = Rope(headDim, ropeStyle),
        };
    }

    /// <summary>RoPE from `rope.*` keys (and llama3-style `rope_freqs.weight` factors when present).</summary>
    public RopeConfig Rope(int headDim, RopeStyle style)
    {
        var dims = Int("rope.dimension_count", headDim);
        var type = file.Metadata.TryGetString(Key("rope.scaling.type"), out var t) ? t : "none";
        var factor = Float("rope.scaling.factor", 1f);
        var scaling = type switch
        {
            "none" => RopeScaling.Default,
            "linear" => factor == 1f ? RopeScaling.Default : RopeScaling.Linear,
            "yarn" => RopeScaling.Yarn,
            _ => throw new InvalidModelFileException(file.FilePath, $"rope scaling '{type}' is not supported (supported: none, linear, yarn)"),
        };
        float[]? freqFactors = null;
        if (file.Find("rope_freqs.weight") is { } freqs)
        {
            freqFactors = new float[freqs.ElementCount];
            Dequantizer.Dequantize(freqs.Type, freqs.Bytes, freqFactors);
        }
        var yarnAttention = Float("rope.scaling.attn_factor", 0f);
        return new RopeConfig(
            Float("rope.freq_base", 10000f), dims, style, scaling, factor,
            OriginalContext: Int("rope.scaling.original_context_length", Int("context_length", 2048)),
            BetaFast: Float("rope.scaling.yarn_beta_fast", 32f), BetaSlow: Float("rope.scaling.yarn_beta_slow", 1f),
            AttentionFactor: yarnAttention > 0 ? yarnAttention : null, FrequencyFactors: freqFactors);
    }
}
