using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Core.Quantization;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Layers;

namespace Moxing.Models.Families;

/// <summary>
/// Ling / Bailing MoE (HF `bailing_moe`, GGUF `bailingmoe`; Ling-lite, Ling-plus): Llama attention through one query_key_value
/// ([q; k; v] rows, split here as llama.cpp's converter splits it) and `dense`, word_embeddings; first_k_dense_replace dense layers,
/// then a softmax over num_experts with the num_experts_per_tok most probable renormalised where norm_topk_prob (and more than
/// one is chosen), plus num_shared_experts as one ungated MLP. With norm_head the LM head's columns are divided by their L2 norms
/// (+1e-7), as BailingMoeForCausalLM does at inference and the converter before writing.
/// </summary>
public sealed class BailingMoeFamily : IDecoderFamily
{
    // BailingMoeConfig's defaults where the shared readers' differ.
    private const string Defaults = """{"rms_norm_eps": 1e-6, "first_k_dense_replace": 0, "norm_topk_prob": true, "num_shared_experts": 0, "norm_head": false}""";

    // The checkpoint's fused projection; Q/K/V below are its parts, computed at load (DerivedHfTensors).
    private const string QueryKeyValue = "model.layers.{i}.attention.query_key_value.weight";

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["bailing_moe"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["bailingmoe"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = DeepSeekFamily.RoutedHfNames with
    {
        Embedding = "model.word_embeddings.weight",
        Q = "model.layers.{i}.attention.q.weight",
        K = "model.layers.{i}.attention.k.weight",
        V = "model.layers.{i}.attention.v.weight",
        Qkv = null,
        O = "model.layers.{i}.attention.dense.weight",
        ExpertSelectionBias = null,
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = DecoderTensorNames.Gguf with { SharedExpertGate = null };

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = config.WithDefaults(Defaults);
        if (c.GetBool("use_qkv_bias", false)) throw c.Error("use_qkv_bias", "is true; a bias on the fused query_key_value is not supported (llama.cpp's converter splits the weight alone)");
        // The head normalised in place would be the tied embedding too.
        if (c.GetBool("norm_head") && c.GetBool("tie_word_embeddings", false)) throw c.Error("norm_head", "is true with tie_word_embeddings; a normalised head shared with the embedding is not supported");
        var o = c.Common("bailing_moe") with { Activation = HfActivation.Read(c, "hidden_act", "silu") };
        var lead = c.GetInt("first_k_dense_replace");
        if (lead < 0 || lead >= o.LayerCount) throw c.Error("first_k_dense_replace", $"is {lead}; it must leave some of the {o.LayerCount} layers sparse");
        var ff = c.GetInt("moe_intermediate_size");
        var used = c.GetInt("num_experts_per_tok");
        return o with
        {
            Moe = new MoeOptions
            {
                ExpertCount = c.GetInt("num_experts"),
                ExpertsUsed = used,
                ExpertFeedForward = ff,
                // BailingMoeGate renormalises only when it chooses more than one.
                NormalizeTopK = c.GetBool("norm_topk_prob") && used > 1,
                SharedFeedForward = c.GetInt("num_shared_experts") * ff,
                DenseLayers = lead > 0 ? [.. Enumerable.Range(0, o.LayerCount).Select(i => i < lead)] : [],
            },
        };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        // BailingMoeModel permutes the split q and k rows for llama.cpp's interleaved rotation; llama.cpp's bailingmoe builds every layer sparse.
        var o = p.Common(RopeStyle.Interleaved);
        var ff = p.Int("expert_feed_forward_length");
        var moe = p.Experts(ff, file.Metadata.TryGetBool("bailingmoe.expert_weights_norm", out var norm) && norm)
            ?? throw new InvalidModelFileException(file.FilePath, "key 'bailingmoe.expert_count' is missing or 0; llama.cpp's bailingmoe needs experts");
        return o with { Moe = moe with { SharedFeedForward = p.Int("expert_shared_count", 0) * ff, RoutedScale = p.Float("expert_weights_scale", 0f) is var s && s != 0 ? s : 1f } };
    }

    /// <inheritdoc />
    public IReadOnlyList<DerivedTensor> DerivedHfTensors(ITensorSource tensors, DecoderOptions options, string path)
    {
        var found = new PrefixedTensors(tensors, HfNames.BasePrefix);
        var derived = GroupedQkv.Split(found, QueryKeyValue, HfNames, options, path, grouped: false).ToList();
        // norm_head is the config's (the options do not carry it); the folder is the one the options were read from.
        var config = HfConfig.Load(Path.Combine(path, "config.json")).WithDefaults(Defaults);
        if (config.GetBool("norm_head") && found.Find(HfNames.Output) is { } head) derived.Add(NormalizedHead(head, path));
        return derived;
    }

    // BailingMoeForCausalLM.compute_logit: lm_head / (‖lm_head‖₂ over the vocabulary, per hidden column + 1e-7), in F32.
    private static unsafe DerivedTensor NormalizedHead(StoredTensor head, string path)
    {
        if (head.Shape.Length != 2) throw new InvalidModelFileException(path, $"tensor '{head.Name}' has shape [{string.Join(", ", head.Shape)}], expected [vocab, hidden]");
        long rows = head.Shape[0], columns = head.Shape[1];
        return new DerivedTensor(head.Name, DType.F32, [rows, columns], [head.Name], target =>
        {
            var values = new Span<float>((void*)target, checked((int)(rows * columns)));
            Dequantizer.Dequantize(head.Type, head.Bytes, values);
            var norms = new double[columns];
            for (long r = 0; r < rows; r++)
                for (long c = 0; c < columns; c++) norms[c] += (double)values[(int)(r * columns + c)] * values[(int)(r * columns + c)];
            for (long c = 0; c < columns; c++) norms[c] = Math.Sqrt(norms[c]) + 1e-7;
            for (long r = 0; r < rows; r++)
                for (long c = 0; c < columns; c++) values[(int)(r * columns + c)] = (float)(values[(int)(r * columns + c)] / norms[c]);
        });
    }
}
