using System.Text.Json.Nodes;
using Moxing.Core;
using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Models.Conversion;
using Moxing.Models.Families;
using Moxing.Models.Tests.Decoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// Llama 4 (<see cref="TinyHfFolder"/>'s llama4_text, the multimodal llama4 that nests it, Maverick's interleaved layout) gives
/// <see cref="DenseReference"/>'s logits; each of its switches moves them far beyond the tolerance; a folder with llama.cpp's
/// fixed chunk and temperature converts to a GGUF that gives the folder's logits; what llama.cpp or the engine cannot express is
/// a clear error naming the key.
/// </summary>
public sealed class Llama4FamilyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-llama4-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Maverick's layout: experts in every 2nd layer (1 and 3), Llama4TextMLP of intermediate_size_mlp in 0 and 2.
    private static void Interleaved(JsonObject c) => c["interleave_moe_layer_step"] = 2;

    // The values llama.cpp's llama4 fixes (chunks and temperature floor of 8192, scale 0.1), which a converted folder must have.
    private static void LlamaCppFixed(JsonObject c) => (c["attention_chunk_size"], c["floor_scale"], c["attn_scale"]) = (8192, 8192, 0.1);

    // LlamaCppFixed, then edit.
    private static Action<JsonObject> Fixed(Action<JsonObject> edit) => c =>
    {
        LlamaCppFixed(c);
        edit(c);
    };

    [Theory]
    [InlineData("llama4_text", false)]
    [InlineData("llama4", false)]
    [InlineData("llama4_text", true)]
    public void TheFolderMatchesTheReference(string modelType, bool interleaved)
    {
        using var folder = new TinyHfFolder(modelType, edit: interleaved ? Interleaved : null);
        var what = modelType + (interleaved ? " step 2" : "");
        DecoderChecks.AssertClose(DenseFamilyTests.Flatten(new DenseReference(folder.Folder).Forward(DenseFamilyTests.Prompt)), DenseFamilyTests.Logits(folder.Folder), 1e-4, what);
    }

    [Theory]
    [InlineData("router_input")]
    [InlineData("shared_expert")]
    [InlineData("nope")]
    [InlineData("qk_norm")]
    [InlineData("chunk")]
    [InlineData("temperature")]
    [InlineData("interleaved")]
    public void DroppingASwitchMovesTheLogitsFarBeyondTheTolerance(string drop)
    {
        using var folder = new TinyHfFolder("llama4_text");
        var error = DenseFamilyTests.DroppedSwitchError(folder.Folder, drop);
        Assert.True(error > 1e-3, $"llama4 without {drop}: max|Δ|/max|ref| = {error:E2}");
    }

    [Theory]
    [InlineData("llama4_text", false)]
    [InlineData("llama4", false)]
    [InlineData("llama4_text", true)]
    public void TheConvertedGgufMatchesTheFolder(string modelType, bool interleaved)
    {
        using var folder = new TinyHfFolder(modelType, edit: c =>
        {
            LlamaCppFixed(c);
            if (interleaved) Interleaved(c);
        });
        var path = Path.Combine(_dir, "llama4.gguf");
        using (var input = new HfGgufInput(folder.Folder))
        {
            var m = input.Metadata;
            Assert.Equal(("llama4", interleaved ? 2 : 1, 32, 96), (m.GetString("general.architecture"), m.GetInt32("llama4.interleave_moe_layer_step"),
                m.GetInt32("llama4.expert_feed_forward_length"), m.GetInt32("llama4.feed_forward_length")));
            Assert.Contains(input.Tensors, t => t.Name == "rope_freqs.weight");
            Assert.Equal(new long[] { 4, 32, 64 }, input.Tensors.Single(t => t.Name == "blk.1.ffn_up_exps.weight").Shape);
            Assert.DoesNotContain(input.Tensors, t => t.Name.Contains("vision", StringComparison.Ordinal) || t.Name.Contains("projector", StringComparison.Ordinal));
            GgufQuantizer.Quantize(input, path, QuantizationMix.Find("F32")!, null, WorkerPool.Shared);
        }
        DecoderChecks.AssertClose(DenseFamilyTests.Logits(folder.Folder), DenseFamilyTests.Logits(path), 1e-5, modelType + " → F32 GGUF");
    }

    // llama.cpp's llama4 as synth writes it: the 4th layer NoPE with full attention, the others chunked by 8192 with q/k norms,
    // llama.cpp's temperature, sigmoid routing into the experts' inputs with a shared expert; Maverick-like dense layers.
    [Theory]
    [InlineData("tiny-llama4", 1)]
    [InlineData("tiny-llama4-interleaved", 2)]
    public void TheGgufReadsLlamaCppsFixedLayout(string shape, int step)
    {
        using var synth = new SynthesizedModel(shape, "F16", 1);
        var o = synth.Model.Options;
        Assert.Equal([false, false, false, true], Enumerable.Range(0, 4).Select(i => !o.Rotates(i)));
        Assert.Equal([8192, 8192, 8192, 0], Enumerable.Range(0, 4).Select(o.ChunkOf));
        Assert.Equal((true, 8192, 0.1f, Core.Ops.RopeStyle.Interleaved), (o.QkUnweightedNorm, o.TemperatureFloor, o.TemperatureScale, o.Rope!.Style));
        Assert.Equal((true, true, false), (o.Moe!.SigmoidOfChosenLogits, o.Moe.WeightsExpertInput, o.Moe.NormalizeTopK));
        var layers = synth.Model.Weights.Layers;
        Assert.Equal(Enumerable.Range(0, 4).Select(i => (i + 1) % step == 0), layers.Select(l => l.Moe != null));
        Assert.All(layers.Where(l => l.Moe != null), l => Assert.Equal((o.Moe.ExpertFeedForward, false), (l.Moe!.Shared!.Down.InFeatures, l.Moe.SharedGate != null)));
        Assert.NotNull(layers[0].Attention!.QNorm);
        Assert.Null(layers[3].Attention!.QNorm);
    }

    [Fact]
    public void BadConfigsAreClearErrors()
    {
        void Refused(string expected, Action<JsonObject> edit, bool converting = false)
        {
            using var folder = new TinyHfFolder("llama4", edit: edit);
            var error = Assert.Throws<InvalidModelFileException>(() =>
            {
                if (converting) new HfGgufInput(folder.Folder).Dispose();
                else ModelLoader.Load(folder.Folder).Dispose();
            });
            Assert.Contains(expected, error.Message);
        }
        Refused("'text_config.no_rope_layers' has 3 entries for 4 layers", c => c["no_rope_layers"] = new JsonArray(1, 1, 0));
        Refused("'text_config.moe_layers' lists layer 7", c => c["moe_layers"] = new JsonArray(1, 7));
        Refused("'text_config.layer_types' names 'sliding_attention'", c => c["layer_types"] = new JsonArray("chunked_attention", "chunked_attention", "chunked_attention", "sliding_attention"));
        Refused("'text_config.floor_scale' is 0", c => c["floor_scale"] = 0);
        Refused("'text_config.interleave_moe_layer_step' is 0", c => c["interleave_moe_layer_step"] = 0);
        Refused("'text_config.attn_temperature_tuning' is \"yes\"", c => c["attn_temperature_tuning"] = "yes");
        // What llama.cpp's llama4 fixes, a folder must have to be converted.
        Refused("'text_config.attention_chunk_size' is 5; llama.cpp's llama4 attends within chunks of 8192", c => (c["floor_scale"], c["attn_scale"]) = (8192, 0.1), converting: true);
        Refused("'text_config.floor_scale' gives a temperature tuning (floor 4", Fixed(c => c["floor_scale"] = 4), converting: true);
        Refused("'text_config.no_rope_layers' leaves out RoPE on other layers than every 4th", Fixed(c => c["no_rope_layers"] = new JsonArray(1, 0, 1, 1)), converting: true);
        Refused("'text_config.moe_layers' lists other layers", Fixed(c => c["moe_layers"] = new JsonArray(0, 1)), converting: true);
        Refused("'text_config.use_qk_norm' is false with 4 experts", Fixed(c => c["use_qk_norm"] = false), converting: true);
    }

    // The experts' fused tensors are checked against the config: a wrong width names the tensor and both shapes.
    [Fact]
    public void AnExpertStackOfTheWrongShapeNamesTheTensor()
    {
        using var folder = new TinyHfFolder("llama4_text");
        folder.Config["intermediate_size"] = 16;
        File.WriteAllText(Path.Combine(folder.Folder, "config.json"), folder.Config.ToJsonString());
        Assert.Contains("'model.layers.0.feed_forward.experts.gate_up_proj' is F32 [4, 64, 64], expected F32, F16 or BF16 [4, 64, 32]",
            Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
    }

    // Scout's config writes attn_temperature_tuning as a number; a nonzero one turns the tuning on as true does.
    [Fact]
    public void ANumericTemperatureFlagTurnsTheTuningOn()
    {
        using var folder = new TinyHfFolder("llama4_text", edit: c => c["attn_temperature_tuning"] = 4);
        Assert.Equal(4, new Llama4Family().FromHf(Core.Formats.HuggingFace.HfConfig.Load(Path.Combine(folder.Folder, "config.json"))).TemperatureFloor);
    }
}
