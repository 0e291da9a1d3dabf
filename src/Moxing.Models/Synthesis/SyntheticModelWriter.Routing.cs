using Moxing.Core.Formats.Gguf;

namespace Moxing.Models.Synthesis;

// glm4moe and dots1 as Glm4MoeModel and Dots1Model write them: DeepSeek's routing keys over the ordinary attention and experts of
// the shared writer, and GLM-4.5's next-token-prediction blocks after the model's own.
public static partial class SyntheticModelWriter
{
    private static void AddRouting(GgufWriter w, SynthShape shape, SynthRouting r)
    {
        var arch = shape.Architecture;
        w.Set($"{arch}.leading_dense_block_count", (uint)r.LeadingDense);
        w.Set($"{arch}.expert_shared_count", (uint)(shape.SharedFeedForward / shape.ExpertFeedForward));
        w.Set($"{arch}.expert_group_count", (uint)r.Groups);
        w.Set($"{arch}.expert_group_used_count", (uint)r.GroupsUsed);
        w.Set($"{arch}.expert_gating_func", 2u);
        w.Set($"{arch}.expert_weights_scale", r.RoutedScale);
        w.Set($"{arch}.expert_weights_norm", true);
        if (r.NextN > 0) w.Set($"{arch}.nextn_predict_layers", (uint)r.NextN);
    }

    // A next-token-prediction block's own tensors (llama.cpp's nextn.*), besides the layer tensors the caller writes for it.
    private static void AddNextN(GgufWriter w, Random random, SynthFileType fileType, SynthShape shape, int layer)
    {
        var p = $"blk.{layer}.nextn.";
        Weight(w, random, fileType, p + "eh_proj.weight", "nextn.eh_proj", layer, shape.Layers, shape.Hidden, 2 * shape.Hidden);
        Norm(w, random, p + "enorm.weight", shape.Hidden);
        Norm(w, random, p + "hnorm.weight", shape.Hidden);
        Norm(w, random, p + "shared_head_norm.weight", shape.Hidden);
    }
}
