using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Layers;

namespace Moxing.Models.Families;

/// <summary>
/// Qwen3-Next (HF qwen3_next, GGUF qwen3next; Qwen3-Next-80B-A3B): Gated DeltaNet layers (<see cref="DeltaNetOptions"/>) beside
/// gated attention every full_attention_interval-th layer (layer_types), with per-head q/k RMSNorms and NEOX RoPE of
/// partial_rotary_factor of the head; Qwen2-MoE's experts with a sigmoid-gated shared expert (top-k renormalised as norm_topk_prob
/// says). transformers' RMSNorms scale by 1 + w (llama.cpp's converter stores 1 + w), but the DeltaNet's gated norm by w.
/// </summary>
public sealed class Qwen3NextFamily : IDecoderFamily
{
    private const string Linear = "model.layers.{i}.linear_attn.";

    // Qwen3NextConfig's defaults.
    private const string Defaults = """
        {"vocab_size": 151936, "hidden_size": 2048, "intermediate_size": 5632, "num_hidden_layers": 48, "num_attention_heads": 16,
         "num_key_value_heads": 2, "head_dim": 256, "max_position_embeddings": 32768, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
         "partial_rotary_factor": 0.25, "linear_conv_kernel_dim": 4, "linear_key_head_dim": 128, "linear_value_head_dim": 128,
         "linear_num_key_heads": 16, "linear_num_value_heads": 32, "decoder_sparse_step": 1, "moe_intermediate_size": 512,
         "shared_expert_intermediate_size": 512, "num_experts_per_tok": 10, "num_experts": 512, "norm_topk_prob": true,
         "full_attention_interval": 4}
        """;

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["qwen3_next"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["qwen3next"];

    /// <summary>The Gated DeltaNet's and gated attention's names shared by Qwen3-Next and Qwen3.5 checkpoints (multi-token prediction left out).</summary>
    internal static DecoderTensorNames HfDeltaNames { get; } = DecoderTensorNames.HuggingFace with
    {
        DeltaQkv = Linear + "in_proj_qkv.weight",
        DeltaGate = Linear + "in_proj_z.weight",
        DeltaBeta = Linear + "in_proj_b.weight",
        DeltaAlpha = Linear + "in_proj_a.weight",
        DeltaBetaAlpha = Linear + "in_proj_ba.weight",
        SsmConv = Linear + "conv1d.weight",
        SsmDtBias = Linear + "dt_bias",
        SsmALog = Linear + "A_log",
        SsmNorm = Linear + "norm.weight",
        SsmOut = Linear + "out_proj.weight",
        IgnoredPrefixes = ["mtp."],
    };

    /// <summary>llama.cpp's names of these layers (qwen3next, qwen35, qwen35moe).</summary>
    internal static DecoderTensorNames GgufDeltaNames { get; } = DecoderTensorNames.Gguf with
    {
        MlpNorm = "blk.{i}.post_attention_norm.weight",
        DeltaQkv = "blk.{i}.attn_qkv.weight",
        DeltaGate = "blk.{i}.attn_gate.weight",
        DeltaBeta = "blk.{i}.ssm_beta.weight",
        DeltaAlpha = "blk.{i}.ssm_alpha.weight",
        DeltaBetaAlpha = "blk.{i}.ssm_ba.weight",
        SsmConv = "blk.{i}.ssm_conv1d.weight",
        SsmDtBias = "blk.{i}.ssm_dt.bias",
        SsmA = "blk.{i}.ssm_a",
        SsmNorm = "blk.{i}.ssm_norm.weight",
        SsmOut = "blk.{i}.ssm_out.weight",
    };

    /// <inheritdoc />
    public DecoderTensorNames HfNames => HfDeltaNames;

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => GgufDeltaNames;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = config.WithDefaults(Defaults);
        return HfOptions(c, "qwen3_next") with { Moe = c.Experts("num_experts", "moe_intermediate_size") };
    }

    /// <summary>
    /// What Qwen3-Next and Qwen3.5 text configs share: the layer pattern, the Gated DeltaNet's sizes, gated attention with q/k norms
    /// and partial NEOX RoPE, norms of 1 + w.
    /// </summary>
    internal static DecoderOptions HfOptions(HfConfig c, string architecture)
    {
        var o = c.Common(architecture);
        var layers = DeltaLayers(c, o.LayerCount);
        int keyHeads = c.GetInt("linear_num_key_heads"), valueHeads = c.GetInt("linear_num_value_heads");
        if (keyHeads < 1 || valueHeads % keyHeads != 0)
            throw c.Error("linear_num_value_heads", $"is {valueHeads}; it must be a multiple of linear_num_key_heads ({keyHeads})");
        return o with
        {
            NormWeightOffset = 1,
            QkNorm = true,
            AttentionOutputGate = true,
            DeltaNet = new DeltaNetOptions
            {
                KeyHeads = keyHeads,
                ValueHeads = valueHeads,
                KeyHeadDim = c.GetInt("linear_key_head_dim"),
                ValueHeadDim = c.GetInt("linear_value_head_dim"),
                ConvKernel = Lfm2Family.Taps(c.GetInt("linear_conv_kernel_dim"), () => c.Error("linear_conv_kernel_dim", "must be at least 2")),
                Layers = layers,
            },
        };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var o = GgufOptions(p, file, tiledKeyHeads: false);
        var used = p.Int("expert_used_count", 1);
        var moe = p.Experts(used > 0 ? o.IntermediateSize / used : 0, normalizeTopK: true, sharedExpert: true)
            ?? throw new InvalidModelFileException(file.FilePath, "key 'qwen3next.expert_count' is missing or 0; Qwen3-Next has experts");
        return o with { Moe = moe };
    }

    /// <summary>
    /// What the qwen3next, qwen35 and qwen35moe keys share: block_count less the multi-token-prediction blocks, the recurrent layers
    /// (attention.recurrent_layers, else all but every full_attention_interval-th), the ssm.* sizes, NEOX RoPE of rope.dimension_count
    /// (Qwen3.5's M-RoPE sections rotate text positions as plain RoPE), value heads reading key heads tiled or grouped.
    /// </summary>
    internal static DecoderOptions GgufOptions(GgufHyperParameters p, GgufFile file, bool tiledKeyHeads)
    {
        var all = p.Common(RopeStyle.Half);
        var o = all with { LayerCount = p.WithoutNextN(all.LayerCount) };
        int keyHeads = p.Int("ssm.group_count"), valueHeads = p.Int("ssm.time_step_rank"), inner = p.Int("ssm.inner_size");
        if (keyHeads < 1 || valueHeads < 1 || valueHeads % keyHeads != 0 || inner % valueHeads != 0)
            throw new InvalidModelFileException(file.FilePath,
                $"keys '{p.Architecture}.ssm.group_count' ({keyHeads}), 'ssm.time_step_rank' ({valueHeads}) and 'ssm.inner_size' ({inner}): the value heads must be a multiple of the key heads and divide the inner size");
        return o with
        {
            QkNorm = true,
            AttentionOutputGate = true,
            DeltaNet = new DeltaNetOptions
            {
                KeyHeads = keyHeads,
                ValueHeads = valueHeads,
                KeyHeadDim = p.Int("ssm.state_size"),
                ValueHeadDim = inner / valueHeads,
                ConvKernel = Lfm2Family.Taps(p.Int("ssm.conv_kernel"), () => new InvalidModelFileException(file.FilePath, $"key '{p.Architecture}.ssm.conv_kernel' must be at least 2")),
                TiledKeyHeads = tiledKeyHeads,
                Layers = RecurrentLayers(p, file, o.LayerCount),
            },
        };
    }

    private static bool[] RecurrentLayers(GgufHyperParameters p, GgufFile file, int layers)
    {
        var key = $"{p.Architecture}.attention.recurrent_layers";
        if (file.Metadata.ContainsKey(key))
        {
            var flags = file.Metadata.GetArray<bool>(key);
            if (flags.Length < layers) throw new InvalidModelFileException(file.FilePath, $"key '{key}' has {flags.Length} entries for {layers} layers");
            return flags[..layers];
        }
        var interval = p.Int("full_attention_interval", 4);
        if (interval < 1) throw new InvalidModelFileException(file.FilePath, $"key '{p.Architecture}.full_attention_interval' is {interval}; it must be at least 1");
        return Interval(layers, interval);
    }

    // Qwen3NextConfig's default layer_types: full attention on every interval-th layer, linear attention elsewhere.
    private static bool[] Interval(int layers, int interval) => [.. Enumerable.Range(0, layers).Select(i => (i + 1) % interval != 0)];

    // layer_types ("linear_attention" or "full_attention"), else every full_attention_interval-th layer attends.
    private static bool[] DeltaLayers(HfConfig c, int layers)
    {
        var types = c.GetStringList("layer_types");
        if (types.Length == 0)
        {
            var interval = c.GetInt("full_attention_interval");
            return interval >= 1 ? Interval(layers, interval) : throw c.Error("full_attention_interval", $"is {interval}; it must be at least 1");
        }
        if (types.Length != layers) throw c.Error("layer_types", $"has {types.Length} entries for {layers} layers");
        return [.. types.Select(t => t switch
        {
            "linear_attention" => true,
            "full_attention" => false,
            _ => throw c.Error("layer_types", $"has '{t}'; these layers are 'linear_attention' or 'full_attention'"),
        })];
    }

    /// <inheritdoc />
    public IReadOnlyList<DerivedTensor> DerivedHfTensors(ITensorSource tensors, DecoderOptions options, string path)
    {
        var find = new PrefixedTensors(tensors, "model.");
        var d = options.DeltaNet!;
        return [.. Enumerable.Range(0, options.LayerCount).Where(d.IsDeltaNet).SelectMany(layer => SplitQkvz(find, path, d, options.HiddenSize, layer))];
    }

    // transformers' fix_query_key_value_ordering: in_proj_qkvz holds per key head its q, k, then its value heads' v and z rows;
    // in_proj_qkv takes every q, every k, then every v (llama.cpp's converter writes the same as attn_qkv and attn_gate).
    private static IEnumerable<DerivedTensor> SplitQkvz(PrefixedTensors find, string path, DeltaNetOptions d, int hidden, int layer)
    {
        var name = DecoderTensorNames.ForLayer(Linear + "in_proj_qkvz.weight", layer);
        var fused = find.Find(name) ?? throw new InvalidModelFileException(path, $"tensor '{name}' is missing");
        long rows = 2L * d.KeyDim + 2L * d.ValueDim;
        if (fused.Shape.Length != 2 || fused.Shape[0] != rows || fused.Shape[1] != hidden)
            throw new InvalidModelFileException(path, $"tensor '{name}' has shape [{string.Join(", ", fused.Shape)}], expected [{rows}, {hidden}] from the model's configuration");
        int dk = d.KeyHeadDim, perKey = d.ValueDim / d.KeyHeads, group = 2 * dk + 2 * perKey;
        // (source row, rows) runs of each output in order.
        var qkv = Enumerable.Range(0, d.KeyHeads).Select(g => (g * group, dk))
            .Concat(Enumerable.Range(0, d.KeyHeads).Select(g => (g * group + dk, dk)))
            .Concat(Enumerable.Range(0, d.KeyHeads).Select(g => (g * group + 2 * dk, perKey)));
        var z = Enumerable.Range(0, d.KeyHeads).Select(g => (g * group + 2 * dk + perKey, perKey));
        yield return Rows(DecoderTensorNames.ForLayer(HfDeltaNames.DeltaQkv!, layer), fused, [.. qkv]);
        yield return Rows(DecoderTensorNames.ForLayer(HfDeltaNames.DeltaGate!, layer), fused, [.. z]);
    }

    // The rows of `source` given as (first row, count) runs, one after another.
    private static unsafe DerivedTensor Rows(string name, StoredTensor source, (int First, int Count)[] runs)
    {
        var rowBytes = source.Type.ByteCount(source.Shape[1]);
        return new DerivedTensor(name, source.Type, [runs.Sum(r => r.Count), source.Shape[1]], [source.Name], target =>
        {
            var at = (byte*)target;
            foreach (var (first, count) in runs)
            {
                Buffer.MemoryCopy(source.Data + first * rowBytes, at, count * rowBytes, count * rowBytes);
                at += count * rowBytes;
            }
        });
    }
}
