using System.Text.Json.Nodes;
using Moxing.Core.Formats.Safetensors;

namespace Moxing.Models.Tests.Vision;

/// <summary>
/// The vision half of a tiny Gemma3ForConditionalGeneration checkpoint with random weights, as transformers names and shapes it:
/// SiglipVisionModel under model.vision_tower.vision_model.* (or vision_tower.vision_model.* before transformers 4.52) and
/// Gemma3MultiModalProjector under model.multi_modal_projector.*; config.json's vision_config and mm_tokens_per_image.
/// 28² images in 7² patches (4 × 4), pooled by 2 to 4 tokens of a 64-wide text model.
/// </summary>
public sealed class TinyVisionFolder : IDisposable
{
    public const int ImageSize = 28, PatchSize = 7, Hidden = 32, Heads = 4, FeedForward = 48, Layers = 2, TextHidden = 64, Tokens = 4;

    /// <summary>The folder.</summary>
    public string Folder { get; } = Directory.CreateTempSubdirectory("moxing-vision-").FullName;

    /// <summary>The tensors written, by name.</summary>
    public Dictionary<string, float[]> Weights { get; } = [];

    public TinyVisionFolder(bool nested = true, int seed = 3)
    {
        var config = new JsonObject
        {
            ["model_type"] = "gemma3",
            ["mm_tokens_per_image"] = Tokens,
            ["text_config"] = new JsonObject { ["model_type"] = "gemma3_text", ["hidden_size"] = TextHidden },
            ["vision_config"] = new JsonObject
            {
                ["model_type"] = "siglip_vision_model",
                ["hidden_size"] = Hidden,
                ["intermediate_size"] = FeedForward,
                ["num_hidden_layers"] = Layers,
                ["num_attention_heads"] = Heads,
                ["image_size"] = ImageSize,
                ["patch_size"] = PatchSize,
                ["layer_norm_eps"] = 1e-6,
            },
        };
        File.WriteAllText(Path.Combine(Folder, "config.json"), config.ToJsonString());
        var random = new Random(seed);
        var writer = new SafetensorsWriter();
        string tower = nested ? "model.vision_tower.vision_model." : "vision_tower.vision_model.", projector = nested ? "model.multi_modal_projector." : "multi_modal_projector.";
        void Add(string name, float mean, float spread, params long[] shape)
        {
            var values = new float[shape.Aggregate(1L, (a, d) => a * d)];
            for (var i = 0; i < values.Length; i++) values[i] = mean + (random.NextSingle() - 0.5f) * 2 * spread;
            writer.Add(name, shape, values);
            Weights[name.Replace(tower, "tower.").Replace(projector, "projector.")] = values;
        }
        void Linear(string name, int rows, int cols)
        {
            Add(name + ".weight", 0, 1.7f / MathF.Sqrt(cols), rows, cols);
            Add(name + ".bias", 0, 0.2f, rows);
        }
        void LayerNorm(string name)
        {
            Add(name + ".weight", 1, 0.4f, Hidden);
            Add(name + ".bias", 0, 0.3f, Hidden);
        }
        Add(tower + "embeddings.patch_embedding.weight", 0, 1.7f / MathF.Sqrt(3 * PatchSize * PatchSize), Hidden, 3, PatchSize, PatchSize);
        Add(tower + "embeddings.patch_embedding.bias", 0, 0.2f, Hidden);
        Add(tower + "embeddings.position_embedding.weight", 0, 0.5f, (ImageSize / PatchSize) * (ImageSize / PatchSize), Hidden);
        for (var l = 0; l < Layers; l++)
        {
            var p = $"{tower}encoder.layers.{l}.";
            LayerNorm(p + "layer_norm1");
            foreach (var proj in new[] { "q_proj", "k_proj", "v_proj", "out_proj" }) Linear(p + "self_attn." + proj, Hidden, Hidden);
            LayerNorm(p + "layer_norm2");
            Linear(p + "mlp.fc1", FeedForward, Hidden);
            Linear(p + "mlp.fc2", Hidden, FeedForward);
        }
        LayerNorm(tower + "post_layernorm");
        // Gemma3RMSNorm's weight is an offset from 1.
        Add(projector + "mm_soft_emb_norm.weight", 0, 0.4f, Hidden);
        Add(projector + "mm_input_projection_weight", 0, 1.7f / MathF.Sqrt(Hidden), Hidden, TextHidden);
        writer.Write(Path.Combine(Folder, "model.safetensors"));
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
