using Moxing.Core.Formats.Gguf;

namespace Moxing.Models.Synthesis;

// glm4moe, dots1 and bailingmoe2 as Glm4MoeModel, Dots1Model and BailingMoeV2Model write them: DeepSeek's routing keys over the ordinary attention and experts of
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
        // BailingMoeV2Model writes the shared width too (llama.cpp's bailingmoe2 takes it per shared expert).
        if (arch == "bailingmoe2") w.Set($"{arch}.expert_shared_feed_forward_length", (uint)shape.ExpertFeedForward);
    }

    // A next-token-prediction block's own tensors (llama.cpp's nextn.*), besides the layer tensors the caller writes for it.
    private static void AddNextN(GgufWriter w, Random random, SynthFileType fileType, SynthShape shape, int layer)
    {
        var p = $"blk.{layer}.nextn.";
        Weight(w, random, fileType, p + "eh_proj.weight", "nextn.eh_proj", layer, shape.Layers, shape.Hidden, 2 * shape.Hidden);
        Norm(w, random, p + "enorm.weight", shape.Hidden);
        Norm(w, random, p + "hnorm.weight", shape.Hidden);
        Norm(w, random, p + "shared_head_norm.weight", shape.Hidden);
        // llama.cpp's bailingmoe2 loads the block's output norm too.
        if (shape.Architecture == "bailingmoe2") Norm(w, random, $"blk.{layer}.layer_output_norm.weight", shape.Hidden);
    }
}
