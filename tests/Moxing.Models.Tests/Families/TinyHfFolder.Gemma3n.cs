using System.Text.Json.Nodes;

namespace Moxing.Models.Tests.Families;

// Gemma 3n as Gemma3nForCausalLM names and shapes it (gemma3n_text), or Gemma3nForConditionalGeneration under model.language_model.*
// beside vision and audio towers (gemma3n): two sliding layers, a full one, again, the last two sharing the keys and values of
// layers 3 and 2; MLP widths by layer, the first two with gaussian top-k gates; four AltUp streams, Laurel of rank 4, per-layer
// inputs of 8 from a table shorter than the vocabulary.
public sealed partial class TinyHfFolder
{
    /// <summary>The tiny Gemma 3n's layer_types.</summary>
    internal static readonly string[] Gemma3nLayers = ["sliding_attention", "sliding_attention", "full_attention", "sliding_attention", "sliding_attention", "full_attention"];

    private static void Gemma3nConfig(JsonObject c)
    {
        c["head_dim"] = HeadDim;
        c["rms_norm_eps"] = 1e-6;
        c["sliding_window"] = 4;
        c["layer_types"] = new JsonArray([.. Gemma3nLayers.Select(t => JsonValue.Create(t))]);
        c["intermediate_size"] = new JsonArray(96, 96, 96, 128, 128, 128);
        c["num_kv_shared_layers"] = 2;
        c["hidden_size_per_layer_input"] = 8;
        c["vocab_size_per_layer_input"] = Vocab - 16;
        c["altup_num_inputs"] = 4;
        c["altup_active_idx"] = 0;
        c["altup_correct_scale"] = true;
        c["altup_coef_clip"] = 120.0;
        c["laurel_rank"] = 4;
        c["activation_sparsity_pattern"] = new JsonArray(0.95, 0.6, 0.0, 0.0, 0.0, 0.0);
        c["final_logit_softcapping"] = 10.0;
        c["hidden_activation"] = "gelu_pytorch_tanh";
        c["tie_word_embeddings"] = true;
        c["rope_parameters"] = new JsonObject
        {
            ["full_attention"] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = 100000.0 },
            ["sliding_attention"] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = 10000.0 },
        };
        c.Remove("rope_theta");
    }

    // Gemma3nForConditionalGeneration's config: the text model's under text_config.
    private static JsonObject Gemma3nWrapped(JsonObject text)
    {
        var inner = text.DeepClone().AsObject();
        inner["model_type"] = "gemma3n_text";
        return new JsonObject
        {
            ["model_type"] = "gemma3n",
            ["text_config"] = inner,
            ["vision_config"] = new JsonObject { ["model_type"] = "gemma3n_vision", ["hidden_size"] = 8 },
            ["audio_config"] = new JsonObject { ["model_type"] = "gemma3n_audio", ["hidden_size"] = 8 },
        };
    }

    private static void WriteGemma3n(JsonObject c, Action<string, float, float, long[]> add, Action<string, long> norm, Action<string, long, long, bool> linear)
    {
        var layers = Gemma3nLayers.Length;
        int perLayer = (int)c["hidden_size_per_layer_input"]!, streams = (int)c["altup_num_inputs"]!, rank = (int)c["laurel_rank"]!;
        var widths = c["intermediate_size"]!.AsArray().Select(w => (int)w!).ToArray();
        add("model.embed_tokens.weight", 0f, 0.15f, [Vocab, Hidden]);
        add("model.embed_tokens_per_layer.weight", 0f, 0.5f, [(int)c["vocab_size_per_layer_input"]!, layers * perLayer]);
        linear("model.per_layer_model_projection", layers * perLayer, Hidden, false);
        norm("model.per_layer_projection_norm", perLayer);
        for (var k = 0; k < streams - 1; k++)
        {
            linear($"model.altup_projections.{k}", Hidden, Hidden, false);
            linear($"model.altup_unembed_projections.{k}", Hidden, Hidden, false);
        }
        for (var l = 0; l < layers; l++)
        {
            var p = $"model.layers.{l}.";
            norm(p + "input_layernorm", Hidden);
            linear(p + "self_attn.q_proj", Heads * HeadDim, Hidden, false);
            norm(p + "self_attn.q_norm", HeadDim);
            // Gemma3nTextAttention makes k and v on the sharing layers too, which never read them (llama.cpp requires them).
            linear(p + "self_attn.k_proj", KvHeads * HeadDim, Hidden, false);
            norm(p + "self_attn.k_norm", HeadDim);
            linear(p + "self_attn.v_proj", KvHeads * HeadDim, Hidden, false);
            linear(p + "self_attn.o_proj", Hidden, Heads * HeadDim, false);
            norm(p + "post_attention_layernorm", Hidden);
            norm(p + "pre_feedforward_layernorm", Hidden);
            linear(p + "mlp.gate_proj", widths[l], Hidden, false);
            linear(p + "mlp.up_proj", widths[l], Hidden, false);
            linear(p + "mlp.down_proj", Hidden, widths[l], false);
            norm(p + "post_feedforward_layernorm", Hidden);
            linear(p + "per_layer_input_gate", perLayer, Hidden, false);
            linear(p + "per_layer_projection", Hidden, perLayer, false);
            norm(p + "post_per_layer_input_norm", Hidden);
            add(p + "altup.correct_output_scale", 1f, 0.5f, [Hidden]);
            add(p + "altup.correction_coefs.weight", 0f, 0.5f, [streams, streams]);
            add(p + "altup.prediction_coefs.weight", 0f, 0.5f, [streams * streams, streams]);
            linear(p + "altup.modality_router", streams, Hidden, false);
            norm(p + "altup.router_norm", Hidden);
            linear(p + "laurel.linear_left", rank, Hidden, false);
            linear(p + "laurel.linear_right", Hidden, rank, false);
            norm(p + "laurel.post_laurel_norm", Hidden);
        }
        norm("model.norm", Hidden);
    }
}
