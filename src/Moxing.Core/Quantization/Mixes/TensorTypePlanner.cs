using Moxing.Core.Tensors;

namespace Moxing.Core.Quantization.Mixes;

/// <summary>The model facts llama-quantize's per-tensor choices depend on (from the GGUF's {arch}.* keys).</summary>
public sealed record ModelFacts(string Architecture, int Layers, int Heads, int KvHeads, int Experts)
{
    /// <summary>Query heads per key/value head (llama.cpp's n_gqa).</summary>
    public int GroupedQueryRatio => KvHeads > 0 ? Heads / KvHeads : 1;
}

/// <summary>
/// llama-quantize's choice of each tensor's type for a mix (llama_tensor_get_type in src/llama-quant.cpp): which tensors
/// are quantized, the output/token-embedding rules, more bits for attn_v and ffn_down in chosen layers, and fallbacks
/// when rows are not whole blocks. Ask for tensors in <see cref="Order"/>: the attn_v and ffn_down counters follow it.
/// </summary>
public sealed class TensorTypePlanner
{
    private readonly QuantizationMix _mix;
    private readonly ModelFacts _model;
    private readonly bool _hasImportance;
    private readonly bool _tiedEmbeddings;
    private readonly int _attentionValueCount;
    private int _attentionValueIndex;
    private int _ffnDownIndex;

    /// <summary>Plans the tensors named <paramref name="tensorNames"/> (all of the model's) for <paramref name="mix"/>.</summary>
    public TensorTypePlanner(QuantizationMix mix, ModelFacts model, bool hasImportance, IEnumerable<string> tensorNames)
    {
        _mix = mix;
        _model = model;
        _hasImportance = hasImportance;
        _tiedEmbeddings = true;
        foreach (var name in tensorNames)
        {
            var category = CategoryOf(name);
            if (category is Category.AttentionV or Category.AttentionQkv or Category.AttentionKvB) _attentionValueCount++;
            if (category == Category.Output) _tiedEmbeddings = false;
        }
    }

    /// <summary>llama.cpp's tensor order when quantizing: tensors outside blocks first, then by block number, then by name (ordinal).</summary>
    public static int Order(string a, string b)
    {
        var (la, lb) = (LayerOf(a), LayerOf(b));
        return la != lb ? la.CompareTo(lb) : string.CompareOrdinal(a, b);
    }

    /// <summary>The block number in a name "blk.N.…", or -1.</summary>
    public static int LayerOf(string name)
    {
        if (!name.StartsWith("blk.", StringComparison.Ordinal)) return -1;
        var end = name.IndexOf('.', 4);
        return end > 4 && int.TryParse(name.AsSpan(4, end - 4), out var layer) ? layer : -1;
    }

    /// <summary>llama-quantize's use_more_bits: the first and last eighth of layers and every third in between.</summary>
    public static bool UseMoreBits(int layer, int layers) =>
        layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;

    /// <summary>True when llama-quantize quantizes this tensor at all (2-D and up weights, not norms, gates of experts, position tables…).</summary>
    public static bool AllowsQuantization(string name, IReadOnlyList<long> shape)
    {
        if (Dimensions(shape) < 2 || !name.EndsWith("weight", StringComparison.Ordinal)) return false;
        foreach (var part in KeptParts)
            if (name.Contains(part, StringComparison.Ordinal)) return false;
        return name is not ("position_embd.weight" or "token_types.weight");
    }

    /// <summary>The type for tensor <paramref name="name"/> (stored as <paramref name="current"/>, shape outermost first).</summary>
    public DType TypeFor(string name, DType current, IReadOnlyList<long> shape)
    {
        if (!AllowsQuantization(name, shape)) return current;
        var type = _mix.DefaultType;
        if (!_mix.IsQuantized) return type;
        type = MixType(type, name, CategoryOf(name), shape[^1]);
        return Fallback(type, shape[^1]);
    }

    /// <summary>llama.cpp's tensor_type_fallback: a type whose block fits a row of <paramref name="columns"/>.</summary>
    public static DType Fallback(DType type, long columns)
    {
        if (columns % type.BlockSize() == 0) return type;
        var fallback = type switch
        {
            DType.IQ4_XS => DType.IQ4_NL,
            DType.Q2_K or DType.Q3_K => DType.Q4_0,
            DType.Q4_K => DType.Q5_0,
            DType.Q5_K => DType.Q5_1,
            DType.Q6_K => DType.Q8_0,
            _ => throw new MoxingException($"no fallback type for {type} with rows of {columns}"),
        };
        return columns % fallback.BlockSize() == 0 ? fallback : DType.F16;
    }

    private enum Category { Output, TokenEmbedding, AttentionQkv, AttentionKvB, AttentionV, AttentionK, AttentionQ, AttentionOutput, FfnUp, FfnGate, FfnDown, Other }

    // Substrings of weights llama-quantize keeps as they are (tensor_allows_quantization).
    private static readonly string[] KeptParts =
    [
        "_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel", "per_layer_model_proj",
        "ssm_conv1d", "shortconv.conv.weight", "indexer.k_proj.weight", "indexer.q_proj.weight",
        "time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight", "time_mix_v0.weight",
        "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight", "time_mix_a1.weight", "time_mix_a2.weight",
        "time_mix_g1.weight", "time_mix_g2.weight", "time_mix_decay_w1.weight", "time_mix_decay_w2.weight",
        "time_mix_lerp_fused.weight", "attn_rel_b.weight", ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_",
        ".rel_pos", ".patch_embd", ".patch_merger", "a.rvq.codebook", "mm.a.code_embd",
    ];

    // ggml_n_dims: dimensions up to the last one above 1.
    private static int Dimensions(IReadOnlyList<long> shape)
    {
        for (var i = 0; i < shape.Count; i++)
            if (shape[i] > 1) return shape.Count - i;
        return 1;
    }

    private static Category CategoryOf(string name)
    {
        if (name == "output.weight") return Category.Output;
        if (name is "token_embd.weight" or "per_layer_token_embd.weight") return Category.TokenEmbedding;
        if (name.Contains("attn_qkv.weight", StringComparison.Ordinal)) return Category.AttentionQkv;
        if (name.Contains("attn_kv_b.weight", StringComparison.Ordinal)) return Category.AttentionKvB;
        if (name.Contains("attn_v.weight", StringComparison.Ordinal)) return Category.AttentionV;
        if (name.Contains("attn_k.weight", StringComparison.Ordinal)) return Category.AttentionK;
        if (name.Contains("attn_q.weight", StringComparison.Ordinal)) return Category.AttentionQ;
        if (name.Contains("attn_output.weight", StringComparison.Ordinal)) return Category.AttentionOutput;
        if (name.Contains("ffn_up", StringComparison.Ordinal)) return Category.FfnUp;
        if (name.Contains("ffn_gate", StringComparison.Ordinal)) return Category.FfnGate;
        if (name.Contains("ffn_down", StringComparison.Ordinal)) return Category.FfnDown;
        return Category.Other;
    }

    // llama_tensor_get_type_impl, for the mixes of QuantizationMix.Known.
    private DType MixType(DType type, string name, Category category, long columns)
    {
        var ftype = _mix.Name;
        var falcon = _model.Architecture == "falcon";
        var gqa = _model.GroupedQueryRatio;
        if (category == Category.Output || (_tiedEmbeddings && category == Category.TokenEmbedding))
        {
            if (falcon || columns % type.BlockSize() != 0) return DType.Q8_0;
            return type != DType.Q8_0 ? DType.Q6_K : type;
        }
        switch (category)
        {
            case Category.TokenEmbedding:
                return type;
            case Category.AttentionV or Category.AttentionQkv or Category.AttentionKvB:
                {
                    if (ftype == "Q2_K") type = gqa >= 4 ? DType.Q4_K : DType.Q3_K;
                    else if (ftype == "Q2_K_S" && gqa >= 4) type = DType.Q4_K;
                    else if (ftype == "Q3_K_M") type = _attentionValueIndex < 2 ? DType.Q5_K : DType.Q4_K;
                    else if (ftype == "Q3_K_L") type = DType.Q5_K;
                    else if (ftype is "IQ4_NL" or "IQ4_XS" && gqa >= 4) type = DType.Q5_K;
                    else if (ftype is "Q4_K_M" or "Q5_K_M" && UseMoreBits(_attentionValueIndex, _attentionValueCount)) type = DType.Q6_K;
                    else if (ftype == "Q4_K_S" && _attentionValueIndex < 4) type = DType.Q5_K;
                    if (_model.Experts == 8) type = DType.Q8_0;
                    _attentionValueIndex++;
                    return type;
                }
            case Category.AttentionK:
                return _model.Experts == 8 ? DType.Q8_0 : type;
            case Category.FfnDown:
                {
                    var (layer, layers) = _model.Experts > 1 ? (LayerOfExpert(name), _model.Layers) : (_ffnDownIndex, _model.Layers);
                    if (ftype == "Q2_K") type = DType.Q3_K;
                    else if (ftype == "Q2_K_S") { if (layer < layers / 8) type = DType.Q4_K; }
                    else if (ftype == "Q3_K_M")
                        type = layer < layers / 16 ? DType.Q5_K : !falcon || UseMoreBits(layer, layers) ? DType.Q4_K : DType.Q3_K;
                    else if (ftype == "Q3_K_L") type = falcon ? DType.Q4_K : DType.Q5_K;
                    else if (ftype == "Q4_K_M")
                    {
                        if (falcon) type = layer < layers / 16 ? DType.Q6_K : UseMoreBits(layer, layers) ? DType.Q5_K : DType.Q4_K;
                        else if (UseMoreBits(layer, layers)) type = DType.Q6_K;
                    }
                    else if (layer < layers / 8 && ftype is "IQ4_NL" or "IQ4_XS" && !_hasImportance) type = DType.Q5_K;
                    else if (ftype == "Q5_K_M" && UseMoreBits(layer, layers)) type = DType.Q6_K;
                    else if (ftype == "Q4_K_S" && !falcon && layer < layers / 8) type = DType.Q5_K;
                    else if (ftype is "Q4_0" or "Q5_0" && _hasImportance && layer < layers / 8)
                        type = ftype == "Q4_0" ? DType.Q4_1 : DType.Q5_1;
                    _ffnDownIndex++;
                    return type;
                }
            case Category.AttentionOutput:
                if (falcon) return ftype == "Q3_K_L" ? DType.Q4_K : type;
                if (_model.Experts == 8)
                    return ftype is "Q2_K" or "Q3_K_S" or "Q3_K_M" or "IQ4_NL" or "Q4_K_S" or "Q4_K_M" or "IQ4_XS" ? DType.Q5_K : type;
                return ftype switch
                {
                    "Q2_K" => DType.Q3_K,
                    "Q3_K_M" => DType.Q4_K,
                    "Q3_K_L" => DType.Q5_K,
                    _ => type,
                };
            default:
                return type;
        }
    }

    private int LayerOfExpert(string name)
    {
        var layer = LayerOf(name);
        if (layer < 0 || layer >= _model.Layers)
            throw new MoxingException($"tensor '{name}': cannot tell its layer (expected blk.N. with N below {_model.Layers})");
        return layer;
    }
}
