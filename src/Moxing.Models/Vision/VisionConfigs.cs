using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;
using Moxing.Models.Families;

namespace Moxing.Models.Vision;

/// <summary>Reads <see cref="VisionOptions"/> from an mmproj GGUF's clip.* keys or a Hugging Face multimodal config.</summary>
public static class VisionConfigs
{
    /// <summary>The projector types read, by llama.cpp's name.</summary>
    public static IReadOnlyDictionary<string, VisionProjector> GgufProjectors { get; } = new Dictionary<string, VisionProjector>
    {
        ["gemma3"] = VisionProjector.Gemma3,
        ["mlp"] = VisionProjector.Mlp,
        ["idefics3"] = VisionProjector.Idefics3,
        ["qwen2vl_merger"] = VisionProjector.Qwen2Vl,
        ["qwen2.5vl_merger"] = VisionProjector.Qwen25Vl,
    };

    /// <summary>
    /// The tower of an mmproj GGUF (general.architecture clip, clip.projector_type gemma3, mlp, idefics3, qwen2vl_merger or qwen2.5vl_merger); other projectors, LLaVA
    /// projectors with layer norms (Yi's mm.3/mm.4) and several feature layers (granite vision) are refused by name.
    /// </summary>
    public static VisionOptions FromGguf(GgufFile file, string path)
    {
        var m = file.Metadata;
        if (!m.TryGetBool("clip.has_vision_encoder", out var vision) || !vision)
            throw new InvalidModelFileException(path, "the projector file has no vision encoder (clip.has_vision_encoder)");
        var type = m.TryGetString("clip.vision.projector_type", out var v) ? v : m.TryGetString("clip.projector_type", out var p) ? p : null;
        if (type == null || !GgufProjectors.TryGetValue(type, out var projector))
            throw new InvalidModelFileException(path, $"vision projector type '{type ?? "(none)"}' is not supported; supported: {string.Join(", ", GgufProjectors.Keys)}");
        var gelu = m.TryGetBool("clip.use_gelu", out var g) && g;
        var silu = m.TryGetBool("clip.use_silu", out var s) && s;
        if (gelu && silu) throw new InvalidModelFileException(path, "clip.use_gelu and clip.use_silu are both set");
        var o = new VisionOptions
        {
            ImageSize = m.GetInt32("clip.vision.image_size"),
            PatchSize = m.GetInt32("clip.vision.patch_size"),
            HiddenSize = m.GetInt32("clip.vision.embedding_length"),
            FeedForwardSize = m.GetInt32("clip.vision.feed_forward_length"),
            LayerCount = m.GetInt32("clip.vision.block_count"),
            HeadCount = m.GetInt32("clip.vision.attention.head_count"),
            NormEps = m.TryGetSingle("clip.vision.attention.layer_norm_epsilon", out var eps) ? eps : 1e-6f,
            Mean = m.GetArray<float>("clip.vision.image_mean").Take(3).ToArray(),
            Std = m.GetArray<float>("clip.vision.image_std").Take(3).ToArray(),
            TextHiddenSize = m.GetInt32("clip.vision.projection_dim"),
            Projector = projector,
            // llama.cpp's FFN_GELU is the tanh form; without either key the tower is CLIP's quick GELU.
            Activation = gelu ? Activation.GeluTanh : silu ? Activation.Silu : Activation.GeluQuick,
            MergeFactor = m.TryGetInt32("clip.vision.projector.scale_factor", out var k) ? k : projector == VisionProjector.Gemma3 ? 4 : 1,
            LongestEdge = projector == VisionProjector.Idefics3 && m.TryGetInt32("clip.vision.preproc_image_size", out var edge) ? edge : 0,
        };
        return (projector switch
        {
            VisionProjector.Mlp => Llava(o, file, path),
            VisionProjector.Qwen2Vl or VisionProjector.Qwen25Vl => QwenGguf(o, file, path),
            _ => o,
        }).Validated(path);
    }

    // llama.cpp's qwen2vl / qwen2.5vl: merges of 2 × 2 (clip.vision.spatial_merge_size), images of 8 to 4096 merged tokens unless the
    // file bounds them, RMSNorm and 112-pixel windows with full attention every n_wa_pattern blocks for 2.5, the merger's tanh GELU. The
    // feed-forward width from the first block's ffn_up (the converter writes the text model's width to Qwen2-VL's feed_forward_length).
    private static VisionOptions QwenGguf(VisionOptions o, GgufFile file, string path)
    {
        var m = file.Metadata;
        long Rows(string name) => (file.Find(name) ?? throw new InvalidModelFileException(path, $"vision tensor '{name}' is missing")).Shape[0];
        var (up, down) = (Rows("v.blk.0.ffn_up.weight"), Rows("v.blk.0.ffn_down.weight"));
        var merge = m.TryGetInt32("clip.vision.spatial_merge_size", out var s) ? s : 2;
        var area = o.PatchSize * o.PatchSize * merge * merge;
        var qwen25 = o.Projector == VisionProjector.Qwen25Vl;
        return o with
        {
            MergeFactor = merge,
            FeedForwardSize = (int)(up != o.HiddenSize ? up : down),
            NormKind = qwen25 ? NormKind.Rms : NormKind.Layer,
            MinPixels = m.TryGetInt32("clip.vision.image_min_pixels", out var min) ? min : 8 * area,
            MaxPixels = m.TryGetInt32("clip.vision.image_max_pixels", out var max) ? max : 4096 * area,
            FullAttentionEvery = qwen25 ? m.GetInt32("clip.vision.n_wa_pattern") : 0,
            WindowSize = qwen25 ? 112 : 0,
        };
    }

    // llama.cpp's llava: one token per patch; the text width is the last projector layer's (older converters wrote CLIP's projection_dim
    // to the key); the feature layer from clip.vision.feature_layer, else every stored block (the converter dropped the last one).
    private static VisionOptions Llava(VisionOptions o, GgufFile file, string path)
    {
        if (file.Find("mm.3.weight") != null) throw new InvalidModelFileException(path, "LLaVA projectors with layer norms (mm.3, mm.4: Yi-VL's) are not supported");
        var last = file.Find("mm.2.weight") ?? throw new InvalidModelFileException(path, "vision tensor 'mm.2.weight' is missing");
        int? feature = null;
        if (file.Metadata.TryGetArray<int>("clip.vision.feature_layer", out var layers) && layers.Length > 0)
        {
            if (layers.Distinct().Count() > 1)
                throw new InvalidModelFileException(path, $"clip.vision.feature_layer names {layers.Length} layers ({string.Join(", ", layers)}); stacked feature layers (granite vision) are not supported");
            feature = layers[0];
        }
        return o with { MergeFactor = 1, TextHiddenSize = (int)last.Shape[0], FeatureLayer = feature };
    }

    /// <summary>
    /// The tower of a Hugging Face multimodal config: Gemma3ForConditionalGeneration (gemma3), LlavaForConditionalGeneration (llava, a CLIP
    /// tower) or Idefics3/SmolVLMForConditionalGeneration (idefics3, smolvlm), with its vision_config's defaults as transformers has them and
    /// the text model's width; <paramref name="preprocessor"/> is preprocessor_config.json when present. Null for another model type.
    /// </summary>
    public static VisionOptions? FromHf(HfConfig config, HfConfig? preprocessor, int textHidden)
    {
        var type = config.GetString("model_type", "");
        if (type is "qwen2_vl" or "qwen2_5_vl" && config.IsSection("vision_config")) return Qwen(config, preprocessor, textHidden);
        if (type is not ("gemma3" or "llava" or "idefics3" or "smolvlm") || !config.IsSection("vision_config")) return null;
        var v = config.GetSection("vision_config").WithDefaults(type switch
        {
            "gemma3" => """{"hidden_size": 1152, "intermediate_size": 4304, "num_hidden_layers": 27, "num_attention_heads": 16, "image_size": 896, "patch_size": 14, "layer_norm_eps": 1e-6, "hidden_act": "gelu_pytorch_tanh"}""",
            "llava" => """{"hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12, "num_attention_heads": 12, "image_size": 224, "patch_size": 32, "layer_norm_eps": 1e-5, "hidden_act": "quick_gelu"}""",
            _ => """{"hidden_size": 1152, "intermediate_size": 3072, "num_hidden_layers": 12, "num_attention_heads": 16, "image_size": 224, "patch_size": 32, "layer_norm_eps": 1e-6, "hidden_act": "gelu_pytorch_tanh"}""",
        });
        float[] clipMean = [0.48145466f, 0.4578275f, 0.40821073f], clipStd = [0.26862954f, 0.26130258f, 0.27577711f], half = [0.5f, 0.5f, 0.5f];
        float[] Channels(string key, float[] fallback) => preprocessor != null && preprocessor.TryGetFloatList(key, out var values) ? values : fallback;
        var o = new VisionOptions
        {
            ImageSize = v.GetInt("image_size"),
            PatchSize = v.GetInt("patch_size"),
            HiddenSize = v.GetInt("hidden_size"),
            FeedForwardSize = v.GetInt("intermediate_size"),
            LayerCount = v.GetInt("num_hidden_layers"),
            HeadCount = v.GetInt("num_attention_heads"),
            NormEps = v.GetFloat("layer_norm_eps"),
            Mean = Channels("image_mean", type == "llava" ? clipMean : half),
            Std = Channels("image_std", type == "llava" ? clipStd : half),
            TextHiddenSize = textHidden,
            Activation = HfActivation.Read(v, "hidden_act", "gelu_pytorch_tanh"),
        };
        return (type switch
        {
            "gemma3" => o with { MergeFactor = GemmaPool(config, o) },
            "llava" => o with
            {
                Projector = VisionProjector.Mlp,
                MergeFactor = 1,
                FeatureLayer = LlavaFeatureLayer(config, o.LayerCount),
                ProjectorActivation = HfActivation.Read(config, "projector_hidden_act", "gelu"),
            },
            _ => o with { Projector = VisionProjector.Idefics3, MergeFactor = config.GetInt("scale_factor", 2), LongestEdge = LongestEdge(preprocessor, o.ImageSize) },
        }).Validated(config.FilePath);
    }

    // Qwen2VisionTransformerPretrainedModel (embed_dim, depth, num_heads, mlp_ratio; hidden_size is the merger's output) or
    // Qwen2_5_VisionTransformerPretrainedModel (hidden_size, intermediate_size, window_size, fullatt_block_indexes); the processor's
    // min/max pixels (or size.shortest_edge/longest_edge) and CLIP's mean/std by default.
    private static VisionOptions Qwen(HfConfig config, HfConfig? preprocessor, int textHidden)
    {
        var qwen25 = config.GetString("model_type") == "qwen2_5_vl";
        var v = config.GetSection("vision_config").WithDefaults(qwen25
            ? """{"depth": 32, "hidden_size": 1280, "intermediate_size": 3420, "num_heads": 16, "patch_size": 14, "spatial_merge_size": 2, "temporal_patch_size": 2, "window_size": 112, "fullatt_block_indexes": [7, 15, 23, 31], "hidden_act": "silu"}"""
            : """{"depth": 32, "embed_dim": 1280, "mlp_ratio": 4, "num_heads": 16, "patch_size": 14, "spatial_merge_size": 2, "temporal_patch_size": 2, "hidden_act": "quick_gelu"}""");
        if (v.GetInt("temporal_patch_size") != 2) throw v.Error("temporal_patch_size", "is not 2; a still image fills two temporal patches");
        var width = v.GetInt(qwen25 ? "hidden_size" : "embed_dim");
        var size = preprocessor != null && preprocessor.TryGetSection("size", out var s) ? s : null;
        int Pixels(string key, string sizeKey, int fallback) =>
            preprocessor != null && preprocessor.Has(key) ? preprocessor.GetInt(key) : size != null && size.Has(sizeKey) ? size.GetInt(sizeKey) : fallback;
        float[] Channels(string key, float[] fallback) => preprocessor != null && preprocessor.TryGetFloatList(key, out var values) ? values : fallback;
        var o = new VisionOptions
        {
            ImageSize = 560,
            PatchSize = v.GetInt("patch_size"),
            HiddenSize = width,
            FeedForwardSize = qwen25 ? v.GetInt("intermediate_size") : (int)(width * v.GetFloat("mlp_ratio")),
            LayerCount = v.GetInt("depth"),
            HeadCount = v.GetInt("num_heads"),
            NormEps = 1e-6f,
            Mean = Channels("image_mean", [0.48145466f, 0.4578275f, 0.40821073f]),
            Std = Channels("image_std", [0.26862954f, 0.26130258f, 0.27577711f]),
            TextHiddenSize = textHidden,
            Projector = qwen25 ? VisionProjector.Qwen25Vl : VisionProjector.Qwen2Vl,
            Activation = HfActivation.Read(v, "hidden_act", qwen25 ? "silu" : "quick_gelu"),
            ProjectorActivation = Activation.GeluErf,
            MergeFactor = v.GetInt("spatial_merge_size"),
            NormKind = qwen25 ? NormKind.Rms : NormKind.Layer,
            MinPixels = Pixels("min_pixels", "shortest_edge", 56 * 56),
            MaxPixels = Pixels("max_pixels", "longest_edge", 28 * 28 * 1280),
        };
        return (qwen25 ? o with { WindowSize = v.GetInt("window_size"), FullAttentionEvery = FullAttentionEvery(v) } : o).Validated(config.FilePath);
    }

    // fullatt_block_indexes as llama.cpp's n_wa_pattern: every n-th block, the first at n − 1.
    private static int FullAttentionEvery(HfConfig v)
    {
        var blocks = v.GetIntList("fullatt_block_indexes");
        var every = blocks.Length > 0 ? blocks[0] + 1 : 0;
        if (every <= 0 || !blocks.SequenceEqual(Enumerable.Range(1, blocks.Length).Select(i => i * every - 1)))
            throw v.Error("fullatt_block_indexes", $"is [{string.Join(", ", blocks)}]; only full attention on every n-th block (n − 1, 2n − 1, …) is supported");
        return every;
    }

    // Gemma 3 pools the patch grid to mm_tokens_per_image tokens.
    private static int GemmaPool(HfConfig config, VisionOptions o)
    {
        var side = (int)Math.Round(Math.Sqrt(config.GetInt("mm_tokens_per_image", 256)));
        return side > 0 ? o.PatchesPerSide / side : 0;
    }

    // LlavaConfig's vision_feature_layer (hidden_states index, −2 by default: the penultimate block's output); the "default" strategy drops
    // the class token.
    private static int LlavaFeatureLayer(HfConfig config, int layers)
    {
        var strategy = config.GetString("vision_feature_select_strategy", "default");
        if (strategy != "default") throw config.Error("vision_feature_select_strategy", $"is '{strategy}'; only 'default' (class token dropped) is supported");
        var feature = config.Has("vision_feature_layer") ? config.GetIntList("vision_feature_layer") : [-2];
        if (feature.Length != 1) throw config.Error("vision_feature_layer", "names several layers; stacked feature layers are not supported");
        return feature[0] < 0 ? layers + 1 + feature[0] : feature[0];
    }

    // Idefics3's image splitting scales the longer side to size.longest_edge (as llama.cpp's converter reads it), the tile size without one.
    private static int LongestEdge(HfConfig? preprocessor, int imageSize) =>
        preprocessor != null && preprocessor.TryGetSection("size", out var size) ? size.GetInt("longest_edge", imageSize) : imageSize;
}
