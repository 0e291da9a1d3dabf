using System.Text.Json.Nodes;
using Moxing.Core.Formats.Safetensors;
using Moxing.Models.Vision;

namespace Moxing.Models.Tests.Vision;

/// <summary>
/// The vision half of a tiny multimodal checkpoint with random weights, as transformers names and shapes it, for each projector:
/// Gemma3ForConditionalGeneration (SiglipVisionModel under model.vision_tower.vision_model.*, or vision_tower.vision_model.* before
/// transformers 4.52, and Gemma3MultiModalProjector under model.multi_modal_projector.*); LlavaForConditionalGeneration (CLIPVisionModel
/// — class embedding, pre_layrnorm, no patch bias, quick_gelu — in the same nestings, LlavaMultiModalProjector's linear_1/linear_2, three
/// blocks read at vision_feature_layer −2); Idefics3ForConditionalGeneration (Idefics3VisionTransformer under model.vision_model.*, the
/// connector's model.connector.modality_projection.proj, scale factor 2). 28² images in 7² patches (4 × 4) for a 64-wide text model:
/// Gemma 3 pools them by 2 and Idefics3 shuffles them by 2 to 4 tokens, LLaVA keeps 16.
/// </summary>
public sealed class TinyVisionFolder : IDisposable
{
    public const int ImageSize = 28, PatchSize = 7, Hidden = 32, Heads = 4, FeedForward = 48, TextHidden = 64, Side = ImageSize / PatchSize;

    /// <summary>The folder.</summary>
    public string Folder { get; } = Directory.CreateTempSubdirectory("moxing-vision-").FullName;

    /// <summary>The projector.</summary>
    public VisionProjector Kind { get; }

    /// <summary>Blocks of the tower (LLaVA has one more than it reads).</summary>
    public int Layers => Kind == VisionProjector.Mlp ? 3 : 2;

    /// <summary>Tokens an image becomes.</summary>
    public int Tokens => Kind == VisionProjector.Mlp ? Side * Side : Side * Side / 4;

    /// <summary>The tensors written, by name relative to the tower ("tower.") or the projector ("projector.").</summary>
    public Dictionary<string, float[]> Weights { get; } = [];

    public TinyVisionFolder(VisionProjector kind = VisionProjector.Gemma3, bool nested = true, int seed = 3)
    {
        Kind = kind;
        var clip = kind == VisionProjector.Mlp;
        var vision = new JsonObject
        {
            ["hidden_size"] = Hidden,
            ["intermediate_size"] = FeedForward,
            ["num_hidden_layers"] = Layers,
            ["num_attention_heads"] = Heads,
            ["image_size"] = ImageSize,
            ["patch_size"] = PatchSize,
            ["layer_norm_eps"] = clip ? 1e-5 : 1e-6,
        };
        var config = new JsonObject { ["text_config"] = new JsonObject { ["hidden_size"] = TextHidden }, ["vision_config"] = vision };
        switch (kind)
        {
            case VisionProjector.Gemma3:
                config["model_type"] = "gemma3";
                config["mm_tokens_per_image"] = Tokens;
                vision["model_type"] = "siglip_vision_model";
                break;
            case VisionProjector.Mlp:
                config["model_type"] = "llava";
                config["vision_feature_layer"] = -2;
                config["projector_hidden_act"] = "gelu";
                vision["model_type"] = "clip_vision_model";
                vision["hidden_act"] = "quick_gelu";
                break;
            default:
                config["model_type"] = "idefics3";
                config["scale_factor"] = 2;
                vision["model_type"] = "idefics3_vision";
                break;
        }
        File.WriteAllText(Path.Combine(Folder, "config.json"), config.ToJsonString());
        var random = new Random(seed);
        var writer = new SafetensorsWriter();
        var prefix = nested ? "model." : "";
        string tower = kind == VisionProjector.Idefics3 ? "model.vision_model." : prefix + "vision_tower.vision_model.",
            projector = kind == VisionProjector.Idefics3 ? "model.connector." : prefix + "multi_modal_projector.";
        void Add(string name, float mean, float spread, params long[] shape)
        {
            var values = new float[shape.Aggregate(1L, (a, d) => a * d)];
            for (var i = 0; i < values.Length; i++) values[i] = mean + (random.NextSingle() - 0.5f) * 2 * spread;
            writer.Add(name, shape, values);
            Weights[name.Replace(tower, "tower.").Replace(projector, "projector.")] = values;
        }
        void Linear(string name, int rows, int cols, bool bias = true)
        {
            Add(name + ".weight", 0, 1.7f / MathF.Sqrt(cols), rows, cols);
            if (bias) Add(name + ".bias", 0, 0.2f, rows);
        }
        void LayerNorm(string name)
        {
            Add(name + ".weight", 1, 0.4f, Hidden);
            Add(name + ".bias", 0, 0.3f, Hidden);
        }
        Add(tower + "embeddings.patch_embedding.weight", 0, 1.7f / MathF.Sqrt(3 * PatchSize * PatchSize), Hidden, 3, PatchSize, PatchSize);
        if (!clip) Add(tower + "embeddings.patch_embedding.bias", 0, 0.2f, Hidden);
        if (clip) Add(tower + "embeddings.class_embedding", 0, 1f, Hidden);
        Add(tower + "embeddings.position_embedding.weight", 0, 0.5f, Side * Side + (clip ? 1 : 0), Hidden);
        if (clip) LayerNorm(tower + "pre_layrnorm");
        for (var l = 0; l < Layers; l++)
        {
            var p = $"{tower}encoder.layers.{l}.";
            LayerNorm(p + "layer_norm1");
            foreach (var proj in new[] { "q_proj", "k_proj", "v_proj", "out_proj" }) Linear(p + "self_attn." + proj, Hidden, Hidden);
            LayerNorm(p + "layer_norm2");
            Linear(p + "mlp.fc1", FeedForward, Hidden);
            Linear(p + "mlp.fc2", Hidden, FeedForward);
        }
        // CLIPVisionModel has a post_layernorm too; LLaVA reads a hidden state before it.
        LayerNorm(tower + "post_layernorm");
        switch (kind)
        {
            case VisionProjector.Gemma3:
                // Gemma3RMSNorm's weight is an offset from 1.
                Add(projector + "mm_soft_emb_norm.weight", 0, 0.4f, Hidden);
                Add(projector + "mm_input_projection_weight", 0, 1.7f / MathF.Sqrt(Hidden), Hidden, TextHidden);
                break;
            case VisionProjector.Mlp:
                Linear(projector + "linear_1", TextHidden, Hidden);
                Linear(projector + "linear_2", TextHidden, TextHidden);
                break;
            default:
                Linear(projector + "modality_projection.proj", TextHidden, Hidden * 4, bias: false);
                break;
        }
        writer.Write(Path.Combine(Folder, "model.safetensors"));
    }

    /// <summary>A tensor by the name <see cref="ProjectorWriter.Write"/> asks for (relative to the tower or to the projector's module).</summary>
    public float[] ByWriterName(string name) =>
        Weights[(name.StartsWith("mm_", StringComparison.Ordinal) || name.StartsWith("linear_", StringComparison.Ordinal)
            || name.StartsWith("modality_projection", StringComparison.Ordinal) ? "projector." : "tower.") + name];

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
