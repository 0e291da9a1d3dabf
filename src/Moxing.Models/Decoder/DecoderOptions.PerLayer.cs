namespace Moxing.Models.Decoder;

/// <summary>The shape of one KV pool layer: key/value heads, key and value head sizes, and whether the values are the front of the key rows (MLA's latent) rather than rows of their own.</summary>
public readonly record struct KvLayerShape(int KvHeads, int HeadDim, int ValueDim, bool ValuesInKeys = false);

// Switches that vary by layer beyond the window: Gemma 3n's and Gemma 4's head sizes, shared keys and values, per-layer inputs.
public sealed partial record DecoderOptions
{
    /// <summary>Head size of the layers without a sliding window when it differs from <see cref="HeadDim"/> (Gemma 4's global_head_dim); 0: the same.</summary>
    public int FullHeadDim { get; init; }

    /// <summary>Key/value heads of the layers without a sliding window when they differ from <see cref="KvHeadCount"/> (Gemma 4's num_global_key_value_heads); 0: the same.</summary>
    public int FullKvHeadCount { get; init; }

    /// <summary>Per layer, the earlier layer whose stored keys and values it attends to instead of projecting its own (Gemma 3n's and 4's KV sharing), −1 for none; empty: every layer its own.</summary>
    public int[] KvSources { get; init; } = [];

    /// <summary>Values RMS-normed per head without weights before they are stored (Gemma 4's v_norm).</summary>
    public bool ValueNorm { get; init; }

    /// <summary>Layers without a v projection take the raw key projection as their values (Gemma 4's attention_k_eq_v on its full layers).</summary>
    public bool KeysAsValues { get; init; }

    /// <summary>Per layer, the MLP's width when layers differ (Gemma 4's use_double_wide_mlp); empty: <see cref="IntermediateSize"/> everywhere.</summary>
    public int[] FeedForwardLengths { get; init; } = [];

    /// <summary>Width of each layer's slice of the per-layer inputs (Gemma 3n's and 4's hidden_size_per_layer_input); 0: none.</summary>
    public int PerLayerInputSize { get; init; }

    /// <summary>Each layer's output multiplied by its stored scalar (Gemma 4's layer_scalar).</summary>
    public bool LayerOutputScales { get; init; }

    /// <summary>The head size of layer <paramref name="layer"/>'s queries and keys.</summary>
    public int HeadDimOf(int layer) => FullHeadDim > 0 && WindowOf(layer) == 0 ? FullHeadDim : HeadDim;

    /// <summary>The key/value heads of layer <paramref name="layer"/>.</summary>
    public int KvHeadsOf(int layer) => FullKvHeadCount > 0 && WindowOf(layer) == 0 ? FullKvHeadCount : KvHeadCount;

    /// <summary>The value head size of layer <paramref name="layer"/> (<see cref="ValueHeadDim"/> or its head size).</summary>
    public int ValueDimOf(int layer) => ValueHeadDim ?? HeadDimOf(layer);

    /// <summary>
    /// The cache rows layer <paramref name="layer"/> stores and attends to: its key/value heads and head sizes, or for MLA one head of
    /// the normed latent and rotated shared key part (kv_lora_rank + qk_rope_head_dim, what absorbed queries score) whose front
    /// kv_lora_rank dimensions serve as its values.
    /// </summary>
    public KvLayerShape CacheShapeOf(int layer) => Mla is { } mla ? new(1, mla.KvLoraRank + mla.RopeDim, mla.KvLoraRank, ValuesInKeys: true)
        : new(KvHeadsOf(layer), HeadDimOf(layer), ValueDimOf(layer));

    /// <summary>The MLP width of layer <paramref name="layer"/>.</summary>
    public int FeedForwardOf(int layer) => layer < FeedForwardLengths.Length ? FeedForwardLengths[layer] : IntermediateSize;

    /// <summary>The layer whose stored keys and values layer <paramref name="layer"/> attends to (itself unless it shares another's).</summary>
    public int KvSourceOf(int layer) => layer < KvSources.Length && KvSources[layer] >= 0 ? KvSources[layer] : layer;

    /// <summary>Whether layer <paramref name="layer"/> stores keys and values in the pool (it attends with its own).</summary>
    public bool StoresKv(int layer) => Attends(layer) && KvSourceOf(layer) == layer;

    /// <summary>The KV pool layer that layer <paramref name="layer"/> attends to: its source's rank among the storing layers.</summary>
    public int PoolLayerOf(int layer)
    {
        var source = KvSourceOf(layer);
        var rank = 0;
        for (var l = 0; l < source; l++)
            if (StoresKv(l)) rank++;
        return rank;
    }

    /// <summary>The shapes of the KV pool's layers, in model order.</summary>
    public KvLayerShape[] KvLayerShapes() => [.. Enumerable.Range(0, LayerCount).Where(StoresKv).Select(CacheShapeOf)];

    /// <summary>The widest queries of any layer (heads × head size, or MLA's absorbed queries where wider), what activation buffers hold.</summary>
    public int WidestQuery => Widest(l => HeadCount * Math.Max(HeadDimOf(l), CacheShapeOf(l).HeadDim));

    /// <summary>The widest key projection or cached key row of any layer.</summary>
    public int WidestKeys => Widest(l => Math.Max(KvHeadsOf(l) * HeadDimOf(l), CacheShapeOf(l).KvHeads * CacheShapeOf(l).HeadDim));

    /// <summary>The widest value projection of any layer.</summary>
    public int WidestValues => Widest(l => KvHeadsOf(l) * ValueDimOf(l));

    /// <summary>The widest attention output (heads × value head size, or MLA's attended latent where wider) of any layer.</summary>
    public int WidestAttentionOut => Widest(l => HeadCount * Math.Max(ValueDimOf(l), CacheShapeOf(l).ValueDim));

    /// <summary>Most cache heads of any layer (MLA: one).</summary>
    public int MostCacheHeads => Widest(l => CacheShapeOf(l).KvHeads);

    private int Widest(Func<int, int> width) => Enumerable.Range(0, Math.Max(1, LayerCount)).Max(width);
}
