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

    /// <summary>
    /// head_count_kv may be one number or one per layer; the decoder needs one. With <paramref name="recurrentLayers"/> a layer's 0
    /// marks a layer without attention (LFM2's convolutions) and the others' count is the one.
    /// </summary>
    public int KvHeads(int heads, bool recurrentLayers = false)
    {
        if (!file.Metadata.TryGetValue(Key("attention.head_count_kv"), out var v)) return heads;
        if (v is Array a)
        {
            var values = a.Cast<object>().Select(Convert.ToInt32).Where(c => !recurrentLayers || c != 0).Distinct().ToArray();
            if (values.Length != 1) throw new InvalidModelFileException(file.FilePath, "per-layer key/value head counts differ; not supported");
            return values[0];
        }
        return file.Metadata.GetInt32(Key("attention.head_count_kv"));
    }

    /// <summary>
    /// Which layers have a sliding window, from `attention.sliding_window_pattern`: a per-layer bool array, or a period n whose
    /// last layer of every n attends to everything (llama.cpp's set_swa_pattern: layer i slides when i % n &lt; n − 1; 0: all slide);
    /// <paramref name="defaultPeriod"/> when the key is absent.
    /// </summary>
    public bool[] SlidingLayers(int layers, int defaultPeriod)
    {
        var key = Key("attention.sliding_window_pattern");
        if (file.Metadata.TryGetValue(key, out var v) && v is Array)
        {
            var flags = file.Metadata.GetArray<bool>(key);
            if (flags.Length != layers) throw new InvalidModelFileException(file.FilePath, $"key '{key}' has {flags.Length} entries for {layers} layers");
            return flags;
        }
        var period = Int("attention.sliding_window_pattern", defaultPeriod);
        if (period < 0) throw new InvalidModelFileException(file.FilePath, $"key '{key}' is {period}, expected a period ≥ 0");
        return Enumerable.Range(0, layers).Select(i => period == 0 || i % period < period - 1).ToArray();
    }

    /// <summary>
    /// A required key that is one number or one per layer (Nemotron-H's feed_forward_length, 0 on its mixer blocks), as one per layer.
    /// </summary>
    public int[] PerLayer(string suffix, int layers)
    {
        if (!file.Metadata.TryGetValue(Key(suffix), out var v) || v is not Array a) return [.. Enumerable.Repeat(Int(suffix), layers)];
        var values = a.Cast<object>().Select(Convert.ToInt32).ToArray();
        return values.Length == layers ? values : throw new InvalidModelFileException(file.FilePath, $"key '{Key(suffix)}' has {values.Length} entries for {layers} layers");
    }

    /// <summary>Per layer, its key/value heads: head_count_kv's entry, or the one number for every layer (<paramref name="heads"/> when absent).</summary>
    public int[] KvHeadsByLayer(int layers, int heads)
    {
        var key = Key("attention.head_count_kv");
        if (!file.Metadata.TryGetValue(key, out var v)) return [.. Enumerable.Repeat(heads, layers)];
        if (v is not Array a) return [.. Enumerable.Repeat(file.Metadata.GetInt32(key), layers)];
        var counts = a.Cast<object>().Select(Convert.ToInt32).ToArray();
        if (counts.Length != layers) throw new InvalidModelFileException(file.FilePath, $"key '{key}' has {counts.Length} entries for {layers} layers");
        if (counts.Any(c => c < 1 || heads % c != 0))
            throw new InvalidModelFileException(file.FilePath, $"key '{key}' has an entry that does not divide the {heads} heads");
        return counts;
    }

    /// <summary>Per layer, the MLP width when feed_forward_length is a per-layer array (Gemma 4's double-wide MLPs); empty when it is one number.</summary>
    public int[] FeedForwardByLayer() =>
        file.Metadata.TryGetValue(Key("feed_forward_length"), out var v) && v is Array a ? [.. a.Cast<object>().Select(Convert.ToInt32)] : [];

    /// <summary>Per layer, whether head_count_kv gives it no key/value heads (a recurrent layer); all false when the key is one number.</summary>
    public bool[] LayersWithoutKv(int layers)
    {
        var key = Key("attention.head_count_kv");
        if (!file.Metadata.TryGetValue(key, out var v) || v is not Array a) return new bool[layers];
        var counts = a.Cast<object>().Select(Convert.ToInt32).ToArray();
        if (counts.Length != layers) throw new InvalidModelFileException(file.FilePath, $"key '{key}' has {counts.Length} entries for {layers} layers");
        return counts.Select(c => c == 0).ToArray();
    }

    /// <summary>
    /// The options every llama-like architecture shares, from the standard keys and the embedding's shape; with
    /// <paramref name="recurrentLayers"/>, layers whose head_count_kv is 0 do not count towards the key/value heads.
    /// </summary>
    public DecoderOptions Common(RopeStyle ropeStyle, bool recurrentLayers = false, int? kvHeads = null)
    {
        var hidden = Int("embedding_length");
        var heads = Int("attention.head_count");
        var headDim = Int("attention.key_length", heads == 0 ? 0 : hidden / heads);
        var embedding = file.Find("token_embd.weight") ?? throw new InvalidModelFileException(file.FilePath, "tensor 'token_embd.weight' is missing");
        var layers = Int("block_count");
        return new DecoderOptions
        {
            Architecture = Architecture,
            VocabSize = checked((int)embedding.Shape[0]),
            HiddenSize = hidden,
            LayerCount = layers,
            HeadCount = heads,
            KvHeadCount = kvHeads ?? KvHeads(heads, recurrentLayers),
            HeadDim = headDim,
            // Given per layer, the first layer's that has one: Gemma 4's double-wide MLPs come later (FeedForwardByLayer), Nemotron-H's mixer blocks give 0.
            IntermediateSize = PerLayer("feed_forward_length", layers).FirstOrDefault(w => w > 0),
            MaxContext = Int("context_length", 2048),
            NormEps = Float("attention.layer_norm_rms_epsilon", Float("attention.layer_norm_epsilon", 1e-5f)),
            Rope = Rope(headDim, ropeStyle),
        };
    }

    /// <summary>
    /// The mixture of experts `expert_count` describes (null without one): every layer sparse, as llama.cpp builds these
    /// architectures. Experts are <paramref name="expertFeedForward"/> wide unless `expert_feed_forward_length` says otherwise;
    /// with <paramref name="sharedExpert"/> a shared expert of `expert_shared_feed_forward_length` (default feed_forward_length).
    /// </summary>
    public MoeOptions? Experts(int expertFeedForward, bool normalizeTopK, bool sharedExpert = false)
    {
        var count = Int("expert_count", 0);
        if (count == 0) return null;
        return new MoeOptions
        {
            ExpertCount = count,
            ExpertsUsed = Int("expert_used_count"),
            ExpertFeedForward = Int("expert_feed_forward_length", expertFeedForward),
            NormalizeTopK = normalizeTopK,
            SharedFeedForward = sharedExpert ? Int("expert_shared_feed_forward_length", Int("feed_forward_length")) : 0,
        };
    }

    /// <summary>
    /// <paramref name="blockCount"/> less the next-token-prediction blocks `nextn_predict_layers` stores after the model's own
    /// (GLM-4.5, GLM-OCR, EXAONE 4): they take no part in its forward pass, and llama.cpp loads and skips them.
    /// </summary>
    public int WithoutNextN(int blockCount)
    {
        var nextn = Int("nextn_predict_layers", 0);
        if (nextn < 0 || nextn >= blockCount)
            throw new InvalidModelFileException(file.FilePath, $"key '{Key("nextn_predict_layers")}' is {nextn}; it must be below the block count ({blockCount})");
        return blockCount - nextn;
    }

    /// <summary>
    /// DeepSeek-style routed experts (deepseek2, glm4moe, dots1) from llama.cpp's keys, null without experts or a sparse layer:
    /// `leading_dense_block_count` dense layers first, experts of `expert_feed_forward_length` and `expert_shared_count` shared ones
    /// as one MLP, `expert_gating_func` (1 softmax, 2 sigmoid; <paramref name="absentGating"/> when absent or 0), groups of
    /// `expert_group_count` ranked by their best two of which `expert_group_used_count` are searched, `expert_weights_norm`
    /// renormalising and `expert_weights_scale` scaling the chosen weights.
    /// </summary>
    public MoeOptions? RoutedExperts(int layers, MoeGating absentGating)
    {
        var lead = Int("leading_dense_block_count", 0);
        var experts = Int("expert_count", 0);
        if (experts == 0 || lead >= layers) return null;
        var ff = Int("expert_feed_forward_length");
        var gating = Int("expert_gating_func", 0);
        if (gating is not (0 or 1 or 2))
            throw new InvalidModelFileException(file.FilePath, $"key '{Key("expert_gating_func")}' is {gating}; supported: 1 (softmax) and 2 (sigmoid)");
        return new MoeOptions
        {
            ExpertCount = experts,
            ExpertsUsed = Int("expert_used_count"),
            ExpertFeedForward = ff,
            NormalizeTopK = file.Metadata.TryGetBool(Key("expert_weights_norm"), out var norm) && norm,
            SharedFeedForward = Int("expert_shared_count", 0) * ff,
            DenseLayers = lead > 0 ? [.. Enumerable.Range(0, layers).Select(i => i < lead)] : [],
            Gating = gating switch { 1 => MoeGating.Softmax, 2 => MoeGating.Sigmoid, _ => absentGating },
            ExpertGroups = Math.Max(1, Int("expert_group_count", 1)),
            ExpertGroupsUsed = Math.Max(1, Int("expert_group_used_count", 1)),
            GroupScore = MoeGroupScore.SumOfTopTwo,
            RoutedScale = Float("expert_weights_scale", 0f) is var s && s != 0 ? s : 1f,
        };
    }

    /// <summary>
    /// RoPE from `rope.*` keys, with llama3-style `rope_freqs.weight` factors, or LongRoPE's `rope_factors_long/short.weight`
    /// (Phi-3: the converter writes the two tensors and `rope.scaling.attn_factor`, no scaling type).
    /// </summary>
    public RopeConfig Rope(int headDim, RopeStyle style)
    {
        var dims = Int("rope.dimension_count", headDim);
        var type = file.Metadata.TryGetString(Key("rope.scaling.type"), out var t) ? t : "none";
        var factor = Float("rope.scaling.factor", 1f);
        var longFactors = PerPairFactors("rope_factors_long.weight", dims);
        var shortFactors = PerPairFactors("rope_factors_short.weight", dims);
        var longRope = type == "longrope" || longFactors != null || shortFactors != null;
        if (longRope && (longFactors == null || shortFactors == null))
            throw new InvalidModelFileException(file.FilePath, $"LongRoPE needs both factor tensors; tensor '{(longFactors == null ? "rope_factors_long.weight" : "rope_factors_short.weight")}' is missing");
        var scaling = type switch
        {
            _ when longRope => RopeScaling.LongRope,
            "none" => RopeScaling.Default,
            "linear" => factor == 1f ? RopeScaling.Default : RopeScaling.Linear,
            "yarn" => RopeScaling.Yarn,
            _ => throw new InvalidModelFileException(file.FilePath, $"rope scaling '{type}' is not supported (supported: none, linear, yarn, longrope)"),
        };
        var attention = Float("rope.scaling.attn_factor", 0f);
        // llama.cpp scales LongRoPE's cos/sin by rope.scaling.attn_factor alone (1 when absent).
        double? attentionFactor = attention > 0 ? attention : longRope ? 1 : null;
        return new RopeConfig(
            Float("rope.freq_base", 10000f), dims, style, scaling, factor,
            OriginalContext: Int("rope.scaling.original_context_length", Int("context_length", 2048)),
            BetaFast: Float("rope.scaling.yarn_beta_fast", 32f), BetaSlow: Float("rope.scaling.yarn_beta_slow", 1f),
            AttentionFactor: attentionFactor, FrequencyFactors: PerPairFactors("rope_freqs.weight", dims),
            ShortFactors: shortFactors, LongFactors: longFactors);
    }

    // A tensor of one divisor per rotated pair, or null when the file has none.
    private float[]? PerPairFactors(string name, int rotaryDims)
    {
        if (file.Find(name) is not { } tensor) return null;
        if (tensor.Shape.Length != 1 || tensor.ElementCount != rotaryDims / 2)
            throw new InvalidModelFileException(file.FilePath, $"tensor '{name}' has shape [{string.Join(", ", tensor.Shape)}]; {rotaryDims} rotated dimensions need [{rotaryDims / 2}]");
        var values = new float[rotaryDims / 2];
        Dequantizer.Dequantize(tensor.Type, tensor.Bytes, values);
        if (values.Any(v => !(v > 0) || float.IsInfinity(v)))
            throw new InvalidModelFileException(file.FilePath, $"tensor '{name}' holds a factor that is not positive and finite");
        return values;
    }
}
