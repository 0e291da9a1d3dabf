using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Moxing.Core.Formats.Safetensors;
using Moxing.Core.Tensors;
using Moxing.Tests;

namespace Moxing.Inference.Tests.Conformance;

/// <summary>A temporary copy of a fixture model with an edited config.json and, optionally, rewritten tensors.</summary>
public sealed class ModelVariant : IDisposable
{
    /// <summary>The variant's folder.</summary>
    public string Folder { get; } = Directory.CreateTempSubdirectory("moxing-variant-").FullName;

    /// <summary>Copies fixture <paramref name="model"/>, edits its config, and rewrites tensors with <paramref name="tensors"/> when given.</summary>
    public ModelVariant(string model, Action<JsonObject> editConfig, Func<Dictionary<string, (long[] Shape, float[] Values)>, Dictionary<string, (long[] Shape, float[] Values)>>? tensors = null)
    {
        var source = Fixtures.Path("hf", "models", model);
        foreach (var file in Directory.GetFiles(source))
            if (Path.GetFileName(file) is not ("config.json" or "reference.safetensors"))
                File.Copy(file, Path.Combine(Folder, Path.GetFileName(file)));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "config.json")))!.AsObject();
        editConfig(config);
        File.WriteAllText(Path.Combine(Folder, "config.json"), config.ToJsonString());
        if (tensors == null) return;
        Dictionary<string, (long[], float[])> original;
        using (var f = SafetensorsFile.Open(Path.Combine(source, "model.safetensors")))
            original = f.Tensors.Where(t => t.Type == DType.F32)
                .ToDictionary(t => t.Name, t => (t.Shape, MemoryMarshal.Cast<byte, float>(t.Bytes).ToArray()));
        var writer = new SafetensorsWriter();
        foreach (var (name, (shape, values)) in tensors(original)) writer.Add(name, shape, values);
        writer.Write(Path.Combine(Folder, "model.safetensors"));
    }

    /// <summary>
    /// Phi-3's layout of <paramref name="model"/>'s weights: q/k/v fused into qkv_proj, gate/up into gate_up_proj (the math is
    /// unchanged); with <paramref name="ffn"/>, the MLP keeps only its first <paramref name="ffn"/> channels; <paramref name="editConfig"/>
    /// edits the config further.
    /// </summary>
    public static ModelVariant Phi3(string model, int? ffn = null, Action<JsonObject>? editConfig = null) => new(model, c =>
    {
        Edit(c, "phi3", "Phi3ForCausalLM", ffn);
        editConfig?.Invoke(c);
    }, original =>
    {
        var t = Narrowed(original, ffn);
        var result = new Dictionary<string, (long[], float[])>();
        foreach (var (name, value) in t)
        {
            if (name.Contains(".k_proj.") || name.Contains(".v_proj.") || name.Contains(".up_proj.")) continue;
            if (name.Contains(".q_proj."))
            {
                var k = t[name.Replace("q_proj", "k_proj")];
                var v = t[name.Replace("q_proj", "v_proj")].Values;
                result[name.Replace("q_proj", "qkv_proj")] = ([value.Shape[0] + 2 * k.Shape[0], value.Shape[1]], [.. value.Values, .. k.Values, .. v]);
            }
            else if (name.Contains(".gate_proj."))
            {
                var up = t[name.Replace("gate_proj", "up_proj")].Values;
                result[name.Replace("gate_proj", "gate_up_proj")] = ([2 * value.Shape[0], value.Shape[1]], [.. value.Values, .. up]);
            }
            else result[name] = value;
        }
        return result;
    });

    /// <summary>
    /// Gemma 2 on <paramref name="model"/>'s weights: GeGLU, soft-caps 2 and 3, a window of 4, tied embeddings, and four
    /// norms per layer with distinct values (so a swapped slot cannot pass); <paramref name="ffn"/> as for <see cref="Phi3"/>.
    /// </summary>
    public static ModelVariant Gemma2(string model, int queryPreAttnScalar, int? ffn = null) => new(model, c =>
    {
        Edit(c, "gemma2", "Gemma2ForCausalLM", ffn);
        c["hidden_activation"] = "gelu_pytorch_tanh";
        c["query_pre_attn_scalar"] = queryPreAttnScalar;
        c["attn_logit_softcapping"] = 2.0;
        c["final_logit_softcapping"] = 3.0;
        c["sliding_window"] = 4;
        c["tie_word_embeddings"] = true;
    }, original => GemmaTensors(original, ffn, qkNormSize: null));

    /// <summary>
    /// Gemma 3 text on <paramref name="model"/>'s weights: Gemma 2's norms and tied head without soft-caps, per-head q/k norms
    /// with distinct values, a window of 4 on layer 0 of every 2 (sliding_window_pattern 2: llama-tiny's two layers are one of
    /// each kind), a full-attention RoPE of base 10000 scaled linearly by 8 and a local base of 100, so swapped schedules differ.
    /// </summary>
    public static ModelVariant Gemma3(string model, int queryPreAttnScalar, int? ffn = null, Action<JsonObject>? editConfig = null)
    {
        var headDim = 0;
        return new(model, c =>
    {
        headDim = (int)c["head_dim"]!;
        Edit(c, "gemma3_text", "Gemma3ForCausalLM", ffn);
        c.Remove("rope_parameters");
        c["hidden_activation"] = "gelu_pytorch_tanh";
        c["query_pre_attn_scalar"] = queryPreAttnScalar;
        c["sliding_window"] = 4;
        c["sliding_window_pattern"] = 2;
        c["rope_theta"] = 10000.0;
        c["rope_scaling"] = new JsonObject { ["rope_type"] = "linear", ["factor"] = 8.0 };
        c["rope_local_base_freq"] = 100.0;
        c["tie_word_embeddings"] = true;
        editConfig?.Invoke(c);
    }, original => GemmaTensors(original, ffn, headDim));
    }

    /// <summary>
    /// Turns the Gemma 3 text variant in <paramref name="folder"/> into a Gemma3ForConditionalGeneration checkpoint: its config becomes text_config, its tensors move under
    /// <paramref name="textPrefix"/> ("model.language_model." or, before transformers 4.52, "language_model.model."), and a vision
    /// tower tensor and a projector tensor join them.
    /// </summary>
    public static void NestAsGemma3Multimodal(string folder, string textPrefix)
    {
        var configPath = Path.Combine(folder, "config.json");
        var text = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        text["model_type"] = "gemma3_text";
        text.Remove("architectures");
        var vision = textPrefix.StartsWith("model.") ? "model." : "";
        var config = new JsonObject
        {
            ["architectures"] = new JsonArray("Gemma3ForConditionalGeneration"),
            ["model_type"] = "gemma3",
            ["text_config"] = text,
        };
        // No vision_config: the stub tower tensors below are left out; a whole tower is tested in Moxing.Models.Tests' VisionTowerTests.
        File.WriteAllText(configPath, config.ToJsonString());
        var weights = Path.Combine(folder, "model.safetensors");
        var writer = new SafetensorsWriter();
        using (var f = SafetensorsFile.Open(weights))
            foreach (var t in f.Tensors)
                writer.Add(textPrefix + t.Name["model.".Length..], t.Shape, MemoryMarshal.Cast<byte, float>(t.Bytes).ToArray());
        writer.Add(vision + "vision_tower.vision_model.embeddings.patch_embedding.weight", [8, 3], new float[24]);
        writer.Add(vision + "multi_modal_projector.mm_input_projection_weight", [8, 64], new float[512]);
        writer.Write(weights);
    }

    // Gemma's layout of llama-tiny's weights: no lm_head, pre/post feed-forward norms derived from post_attention_layernorm
    // (which Gemma applies to the attention output), per-head q/k norms of qkNormSize values when given.
    private static Dictionary<string, (long[] Shape, float[] Values)> GemmaTensors(Dictionary<string, (long[] Shape, float[] Values)> original, int? ffn, int? qkNormSize)
    {
        var t = Narrowed(original, ffn);
        var result = new Dictionary<string, (long[], float[])>();
        foreach (var (name, value) in t)
        {
            if (name == "lm_head.weight") continue;
            result[name] = value;
            if (qkNormSize is { } headDim && name.EndsWith("self_attn.q_proj.weight"))
            {
                var layer = int.Parse(name.Split('.')[2]);
                result[name.Replace("q_proj", "q_norm")] = ([headDim], Enumerable.Range(0, headDim).Select(i => 0.3f * MathF.Sin(i + layer) - 0.2f).ToArray());
                result[name.Replace("q_proj", "k_norm")] = ([headDim], Enumerable.Range(0, headDim).Select(i => 0.5f * MathF.Cos(2 * i - layer) + 0.1f).ToArray());
            }
            if (!name.EndsWith("post_attention_layernorm.weight")) continue;
            result[name.Replace("post_attention_layernorm", "pre_feedforward_layernorm")] = (value.Shape, value.Values.Select(v => 0.5f * v).ToArray());
            result[name.Replace("post_attention_layernorm", "post_feedforward_layernorm")] = (value.Shape, value.Values.Select(v => -0.7f * v + 0.1f).ToArray());
        }
        return result;
    }

    /// <summary>
    /// Phi-3.5 / Phi-4-mini's RoPE in the Hub layout (top-level rope_theta and original_max_position_embeddings, rope_scaling
    /// without factor) over a config whose head has <paramref name="rotaryDim"/> rotated dimensions: short factors near 1, long
    /// ones up to ~rotaryDim², so the two schedules differ clearly.
    /// </summary>
    public static void LongRope(JsonObject config, int originalContext, double partialRotaryFactor, int rotaryDim)
    {
        config.Remove("rope_parameters");
        config["rope_theta"] = 10000.0;
        config["original_max_position_embeddings"] = originalContext;
        if (partialRotaryFactor != 1) config["partial_rotary_factor"] = partialRotaryFactor;
        config["rope_scaling"] = new JsonObject
        {
            ["type"] = "longrope",
            ["short_factor"] = new JsonArray(Enumerable.Range(0, rotaryDim / 2).Select(i => (JsonNode)(1 + 0.03 * i)).ToArray()),
            ["long_factor"] = new JsonArray(Enumerable.Range(0, rotaryDim / 2).Select(i => (JsonNode)(1 + 0.7 * i * i)).ToArray()),
        };
    }

    /// <summary>
    /// A mixture of experts on llama-tiny's weights (<paramref name="modelType"/> mixtral, qwen2_moe, qwen3_moe or olmoe):
    /// <paramref name="experts"/> experts of <paramref name="ffn"/> channels, top <paramref name="topK"/>, each expert the
    /// fixture's MLP with its own perturbation and a random router, so a wrong choice of expert changes the logits; layers in
    /// <paramref name="denseLayers"/> keep the fixture's MLP (mlp_only_layers). Qwen3-MoE gets per-head q/k norms, OLMoE norms
    /// over the whole projections, Qwen2-MoE a shared expert (the fixture's MLP) with a sigmoid gate. With
    /// <paramref name="tiedRouter"/> every expert has the same router row (all probabilities tie).
    /// </summary>
    public static ModelVariant Moe(string modelType, int experts, int topK, int ffn, int[]? denseLayers = null, bool tiedRouter = false,
        Action<JsonObject>? editConfig = null)
    {
        var dense = denseLayers ?? [];
        var mixtral = modelType == "mixtral";
        return new("llama-tiny", c =>
        {
            Edit(c, modelType, modelType + "ForCausalLM", null);
            c[mixtral ? "num_local_experts" : "num_experts"] = experts;
            c["num_experts_per_tok"] = topK;
            if (modelType is "mixtral" or "olmoe") c["intermediate_size"] = ffn;
            else c["moe_intermediate_size"] = ffn;
            if (modelType == "qwen3_moe") c["norm_topk_prob"] = true;
            if (modelType == "qwen2_moe") c["shared_expert_intermediate_size"] = (int)c["intermediate_size"]!;
            if (dense.Length > 0) c["mlp_only_layers"] = new JsonArray(dense.Select(l => (JsonNode)l).ToArray());
            editConfig?.Invoke(c);
        }, original =>
        {
            var result = new Dictionary<string, (long[] Shape, float[] Values)>(original);
            var hidden = original["model.embed_tokens.weight"].Shape[1];
            int heads = 4, kvHeads = 2, headDim = 16;
            for (var l = 0; original.ContainsKey($"model.layers.{l}.mlp.gate_proj.weight"); l++)
            {
                var p = $"model.layers.{l}.";
                if (modelType == "qwen3_moe")
                {
                    result[p + "self_attn.q_norm.weight"] = ([headDim], Wave(headDim, l, 0.2f, 1f));
                    result[p + "self_attn.k_norm.weight"] = ([headDim], Wave(headDim, l + 5, 0.2f, 1f));
                }
                if (modelType == "olmoe")
                {
                    result[p + "self_attn.q_norm.weight"] = ([heads * headDim], Wave(heads * headDim, l, 0.2f, 1f));
                    result[p + "self_attn.k_norm.weight"] = ([kvHeads * headDim], Wave(kvHeads * headDim, l + 5, 0.2f, 1f));
                }
                if (dense.Contains(l)) continue;
                var mlp = Narrowed(original, ffn).Where(t => t.Key.StartsWith(p + "mlp.")).ToDictionary();
                foreach (var name in mlp.Keys) result.Remove(name);
                var block = mixtral ? p + "block_sparse_moe." : p + "mlp.";
                var random = new Random(l);
                var router = Enumerable.Range(0, (int)hidden).Select(_ => random.NextSingle() - 0.5f).ToArray();
                result[block + "gate.weight"] = ([experts, hidden], Enumerable.Range(0, experts)
                    .SelectMany(_ => tiedRouter ? router : router.Select(_ => random.NextSingle() - 0.5f)).ToArray());
                for (var e = 0; e < experts; e++)
                    foreach (var (slot, mixtralName) in new[] { ("gate_proj", "w1"), ("up_proj", "w3"), ("down_proj", "w2") })
                    {
                        var (shape, values) = mlp[p + $"mlp.{slot}.weight"];
                        var perturbed = values.Select((v, i) => v * (1 + 0.5f * MathF.Sin(0.37f * i + 1.9f * e + slot.Length))).ToArray();
                        result[block + $"experts.{e}.{(mixtral ? mixtralName : slot)}.weight"] = (shape, perturbed);
                    }
                if (modelType != "qwen2_moe") continue;
                foreach (var slot in new[] { "gate_proj", "up_proj", "down_proj" })
                    result[block + $"shared_expert.{slot}.weight"] = original[p + $"mlp.{slot}.weight"];
                result[block + "shared_expert_gate.weight"] = ([1, hidden], Wave((int)hidden, l, 0.3f, 0f));
            }
            return result;
        });
    }

    // Deterministic values offset + amplitude·sin(…), distinct per seed.
    private static float[] Wave(int count, int seed, float amplitude, float offset) =>
        Enumerable.Range(0, count).Select(i => offset + amplitude * MathF.Sin(1.3f * i + 0.7f * seed)).ToArray();

    /// <summary><paramref name="model"/> with its MLP narrowed to its first <paramref name="ffn"/> channels, nothing else changed.</summary>
    public static ModelVariant Narrow(string model, int ffn) => new(model, c => Edit(c, null, null, ffn), t => Narrowed(t, ffn));

    private static void Edit(JsonObject config, string? modelType, string? architecture, int? ffn)
    {
        if (modelType != null) config["model_type"] = modelType;
        if (architecture != null) config["architectures"] = new JsonArray(architecture);
        if (ffn is { } channels) config["intermediate_size"] = channels;
    }

    // The first ffn rows of gate/up and columns of down (so every row can be a whole number of 32-wide quantization blocks).
    private static Dictionary<string, (long[] Shape, float[] Values)> Narrowed(Dictionary<string, (long[] Shape, float[] Values)> t, int? ffn)
    {
        if (ffn is not { } keep) return t;
        var result = new Dictionary<string, (long[] Shape, float[] Values)>(t);
        foreach (var (name, (shape, values)) in t)
        {
            if (name.Contains(".gate_proj.") || name.Contains(".up_proj."))
                result[name] = ([keep, shape[1]], values[..(int)(keep * shape[1])]);
            else if (name.Contains(".down_proj."))
                result[name] = ([shape[0], keep], Enumerable.Range(0, (int)shape[0]).SelectMany(r => values.Skip(r * (int)shape[1]).Take(keep)).ToArray());
        }
        return result;
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
