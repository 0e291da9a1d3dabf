using System.Text.Json.Nodes;
using Moxing.Core.Formats;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Core.Quantization;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Layers;

namespace Moxing.Models.Families;

/// <summary>
/// Falcon (HF `falcon`, the older remote-code `RefinedWebModel` (7B) and `RefinedWeb` (40B) configs; GGUF `falcon`): attention
/// and an ungated GELU MLP in parallel, LayerNorms with bias, no biases on the projections, NEOX RoPE, and one fused
/// query_key_value per layer. Falcon-7B has one key/value head and one norm; the new decoder architecture (40B, 180B) has
/// num_kv_heads groups, each storing its query heads then its key and value head (rearranged here to q, k, v as
/// convert_hf_to_gguf.py does), and separate ln_attn / ln_mlp norms (GGUF attn_norm_2 / attn_norm).
/// </summary>
public sealed class FalconFamily : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["falcon", "RefinedWeb", "RefinedWebModel"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["falcon"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = new()
    {
        BasePrefix = "transformer.",
        Embedding = "transformer.word_embeddings.weight",
        AttentionNorm = "transformer.h.{i}.ln_attn.weight",
        Qkv = "transformer.h.{i}.self_attention.query_key_value.weight",
        O = "transformer.h.{i}.self_attention.dense.weight",
        MlpNorm = "transformer.h.{i}.ln_mlp.weight",
        Up = "transformer.h.{i}.mlp.dense_h_to_4h.weight",
        Down = "transformer.h.{i}.mlp.dense_4h_to_h.weight",
        FinalNorm = "transformer.ln_f.weight",
        Output = "lm_head.weight",
    };

    // llama.cpp's falcon: attn_norm feeds the MLP (and attention when there is no attn_norm_2, the 40B's attention norm).
    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = DecoderTensorNames.Gguf with
    {
        AttentionNorm = "blk.{i}.attn_norm_2.weight",
        MlpNorm = "blk.{i}.attn_norm.weight",
        Q = null,
        K = null,
        V = null,
        Gate = null,
    };

    // The one-norm layers' input_layernorm (Falcon-7B, Falcon2-11B) read under the MLP norm's name, which llama.cpp's attn_norm is.
    private const string SharedNorm = "transformer.h.{i}.input_layernorm";

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = Normalized(config);
        if (c.GetBool("alibi", false)) throw c.Error("alibi", "is true; Falcon with ALiBi positions (falcon-rw) is not supported");
        if (c.GetBool("bias", false)) throw c.Error("bias", "is true; Falcon with biased projections is not supported (llama.cpp's falcon has none)");
        var newArchitecture = c.GetBool("new_decoder_architecture", false);
        if (!newArchitecture && !c.GetBool("parallel_attn", true))
            throw c.Error("parallel_attn", "is false; only Falcon's parallel attention and MLP are supported (llama.cpp's falcon has no other)");
        var heads = c.GetInt("num_attention_heads");
        // FalconAttention: the config's num_kv_heads with the new architecture or without multi-query, else one.
        var kvHeads = newArchitecture || !c.GetBool("multi_query", true) ? c.GetInt("num_kv_heads", heads) : 1;
        var hidden = c.GetInt("hidden_size");
        var o = c.WithDefaults(new JsonObject { ["num_key_value_heads"] = kvHeads, ["intermediate_size"] = c.GetInt("ffn_hidden_size", 4 * hidden) }.ToJsonString())
            .Common("falcon");
        return Falcon(o) with { NormEps = c.GetFloat("layer_norm_epsilon", 1e-5f), Activation = HfActivation.Read(c, "activation", "gelu") };
    }

    /// <summary>The config under transformers' FalconConfig names (n_head, n_layer, n_head_kv, n_embed of the remote-code configs).</summary>
    public static HfConfig Normalized(HfConfig c)
    {
        var aliases = new JsonObject();
        foreach (var (name, old) in new[] { ("num_attention_heads", "n_head"), ("num_hidden_layers", "n_layer"), ("num_kv_heads", "n_head_kv"), ("hidden_size", "n_embed") })
            if (c.TryGetInt(old, out var value)) aliases[name] = value;
        // The remote-code RefinedWeb class is the new decoder architecture; RefinedWebModel the old one.
        if (c.GetString("model_type") == "RefinedWeb") aliases["new_decoder_architecture"] = true;
        return c.WithDefaults(aliases.ToJsonString());
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file) => Falcon(new GgufHyperParameters(file).Common(RopeStyle.Half)) with { Activation = Activation.GeluTanh };

    private static DecoderOptions Falcon(DecoderOptions o) => o with { Norm = NormKind.Layer, GatedMlp = false, ParallelBlock = true };

    /// <inheritdoc />
    public IReadOnlyList<DerivedTensor> DerivedHfTensors(ITensorSource tensors, DecoderOptions options, string path)
    {
        var found = new PrefixedTensors(tensors, HfNames.BasePrefix);
        var derived = new List<DerivedTensor>();
        int q = options.HeadCount * options.HeadDim, all = q + 2 * options.KvHeadCount * options.HeadDim;
        for (var i = 0; i < options.LayerCount; i++)
        {
            // One key/value group stores q, k, v already in that order (Falcon-7B).
            var qkvName = DecoderTensorNames.ForLayer(HfNames.Qkv!, i);
            if (options.KvHeadCount > 1 && found.Find(qkvName) is { } qkv)
                derived.Add(GroupedQkv.Rows(qkv, qkvName, 0, all, options.HeadCount, options.KvHeadCount, options.HeadDim, path));
            foreach (var part in new[] { ".weight", ".bias" })
                if (found.Find(DecoderTensorNames.ForLayer(SharedNorm, i) + part) is { } norm)
                    derived.Add(Renamed(norm, DecoderTensorNames.ForLayer(HfNames.MlpNorm!, i)[..^".weight".Length] + part));
        }
        return derived;
    }

    // A norm under another name, as F32 (the converter writes norms as F32).
    private static unsafe DerivedTensor Renamed(StoredTensor t, string name) =>
        new(name, DType.F32, [t.ElementCount], [t.Name], target =>
            Dequantizer.Dequantize(t.Type, t.Bytes, new Span<float>((void*)target, checked((int)t.ElementCount))));
}
