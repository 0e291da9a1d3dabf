using Moxing.Core;
using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Models.Conversion;
using Moxing.Models.Decoder;
using Moxing.Models.Tests.Decoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// GLM-4.5 and dots.llm1 checkpoints (<see cref="TinyHfFolder"/>) give the logits of <see cref="DenseReference"/>'s statement of
/// their modeling code, their F32 GGUFs those of the folder; each switch (partial rotation, q/k norms, the groups, the selection
/// bias, the sigmoid, the scaling, the shared experts) moves them far beyond the tolerance; batched steps equal each sequence alone;
/// GGUFs read as llama.cpp writes them, GLM-4.5's next-token-prediction block skipped; bad configs are errors naming the key.
/// </summary>
public sealed class RoutedMoeFamilyTests
{
    /// <summary>The model types TinyHfFolder writes with DeepSeek-style routing over ordinary attention.</summary>
    public static TheoryData<string> ModelTypes() => ["glm4_moe", "dots1"];

    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void TheFolderMatchesTheReference(string modelType)
    {
        using var folder = new TinyHfFolder(modelType);
        DecoderChecks.AssertClose(DenseFamilyTests.Flatten(new DenseReference(folder.Folder).Forward(DenseFamilyTests.Prompt)),
            DenseFamilyTests.Logits(folder.Folder), 1e-4, modelType);
    }

    [Theory]
    [InlineData("glm4_moe", "partial_rotary_factor")]
    [InlineData("glm4_moe", "qk_norm")]
    [InlineData("glm4_moe", "qkv_bias")]
    [InlineData("glm4_moe", "groups")]
    [InlineData("glm4_moe", "selection_bias")]
    [InlineData("glm4_moe", "sigmoid")]
    [InlineData("glm4_moe", "routed_scaling")]
    [InlineData("glm4_moe", "shared_expert")]
    [InlineData("dots1", "qk_norm")]
    [InlineData("dots1", "selection_bias")]
    [InlineData("dots1", "sigmoid")]
    [InlineData("dots1", "routed_scaling")]
    [InlineData("dots1", "shared_expert")]
    public void DroppingASwitchMovesTheLogitsFarBeyondTheTolerance(string modelType, string drop)
    {
        using var folder = new TinyHfFolder(modelType);
        var error = DenseFamilyTests.DroppedSwitchError(folder.Folder, drop);
        Assert.True(error > 1e-3, $"{modelType} without {drop}: max|Δ|/max|ref| = {error:E2}");
    }

    // GLM-4.5-Air has no q/k norms: the folder without them matches the reference as well.
    [Fact]
    public void TheGlmFolderWithoutQkNormsMatchesTheReference()
    {
        using var folder = new TinyHfFolder("glm4_moe", edit: c => c["use_qk_norm"] = false);
        DecoderChecks.AssertClose(DenseFamilyTests.Flatten(new DenseReference(folder.Folder).Forward(DenseFamilyTests.Prompt)),
            DenseFamilyTests.Logits(folder.Folder), 1e-4, "glm4_moe without q/k norms");
    }

    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void TheFolderRunsBatchesAsEachSequenceAlone(string modelType)
    {
        using var folder = new TinyHfFolder(modelType);
        using var model = ModelLoader.Load(folder.Folder);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(model.RequireDecoder(), 1e-5, Core.Tensors.DType.F32);
    }

    [Theory]
    [InlineData("tiny-glm4moe")]
    [InlineData("tiny-dots1")]
    public void TheSynthesizedModelRunsBatchesAsEachSequenceAlone(string shape)
    {
        using var synth = new SynthesizedModel(shape, "F16", 4);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(synth.Model, 1e-4);
    }

    // The converted file (its nextn layer left out) gives the folder's logits.
    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void TheConvertedGgufMatchesTheFolder(string modelType)
    {
        using var folder = new TinyHfFolder(modelType);
        var path = Path.Combine(folder.Folder, modelType + ".gguf");
        using (var input = new HfGgufInput(folder.Folder))
            GgufQuantizer.Quantize(input, path, QuantizationMix.Find("F32")!, null, WorkerPool.Shared);
        DecoderChecks.AssertClose(DenseFamilyTests.Logits(folder.Folder), DenseFamilyTests.Logits(path), 1e-5, modelType + " → F32 GGUF");
    }

    // Glm4MoeModel's keys: rotated dimensions, the dense lead, one shared expert, sigmoid, groups, scale and renormalisation; the
    // pre-MLP norm as post_attention_norm, the selection bias as exp_probs_b; no tensor of the nextn layer.
    [Fact]
    public void TheGlmConversionWritesWhatLlamaCppsConverterWrites()
    {
        using var folder = new TinyHfFolder("glm4_moe");
        using var input = new HfGgufInput(folder.Folder);
        var m = input.Metadata;
        Assert.Equal("glm4moe", m.GetString("general.architecture"));
        Assert.Equal((2, 8, 1, 1, 32, 4, 2, 2, 16), (m.GetInt32("glm4moe.block_count"), m.GetInt32("glm4moe.rope.dimension_count"),
            m.GetInt32("glm4moe.leading_dense_block_count"), m.GetInt32("glm4moe.expert_shared_count"), m.GetInt32("glm4moe.expert_feed_forward_length"),
            m.GetInt32("glm4moe.expert_group_count"), m.GetInt32("glm4moe.expert_group_used_count"), m.GetInt32("glm4moe.expert_gating_func"),
            m.GetInt32("glm4moe.attention.key_length")));
        Assert.True(m.GetBool("glm4moe.expert_weights_norm"));
        Assert.True(m.TryGetSingle("glm4moe.expert_weights_scale", out var scale) && scale == 2.5f);
        Assert.Contains(input.Tensors, t => t.Name == "blk.1.post_attention_norm.weight");
        Assert.Contains(input.Tensors, t => t.Name == "blk.1.exp_probs_b.bias");
        Assert.Contains(input.Tensors, t => t.Name == "blk.0.attn_q.bias");
        Assert.Contains(input.Tensors, t => t.Name == "blk.1.ffn_gate_shexp.weight");
        Assert.DoesNotContain(input.Tensors, t => t.Name.StartsWith("blk.2.", StringComparison.Ordinal) || t.Name.Contains("ffn_norm", StringComparison.Ordinal));
    }

    // llama.cpp's glm4moe: the nextn block counted in block_count and skipped, half of each head rotated as halves, q/k norms read
    // from the file, sigmoid routing in groups with the selection bias and shared expert after the dense first layer.
    [Fact]
    public void TheGlmGgufSkipsItsNextNBlockAndReadsItsRouting()
    {
        using var synth = new SynthesizedModel("tiny-glm4moe", "F16", 1);
        var o = synth.Model.Options;
        Assert.Equal((4, 32, Core.Ops.RopeStyle.Half, true), (o.LayerCount, o.Rope!.RotaryDim, o.Rope.Style, o.QkNorm));
        Assert.Equal((MoeGating.Sigmoid, 4, 2, 2.5f, true, 128, 16, 4), (o.Moe!.Gating, o.Moe.ExpertGroups, o.Moe.ExpertGroupsUsed, o.Moe.RoutedScale,
            o.Moe.NormalizeTopK, o.Moe.SharedFeedForward, o.Moe.ExpertCount, o.Moe.ExpertsUsed));
        var layers = synth.Model.Weights.Layers;
        Assert.Equal(4, layers.Length);
        Assert.Null(layers[0].Moe);
        Assert.All(layers.Skip(1), l => Assert.Equal(16, l.Moe!.SelectionBias!.Length));
        using var file = Core.Formats.Gguf.GgufFile.Open(synth.Path);
        Assert.Equal(5, file.Metadata.GetInt32("glm4moe.block_count"));
        Assert.NotNull(file.Find("blk.4.nextn.eh_proj.weight"));
    }

    // GLM-4.5-Air's files have no q/k norms: llama.cpp's glm4moe goes by the tensors, and so does the engine.
    [Fact]
    public void AGlmGgufWithoutQkNormTensorsRunsWithoutThem()
    {
        using var synth = new SynthesizedModel("tiny-glm4moe", "F16", 1);
        var path = Path.Combine(synth.Folder, "air.gguf");
        using (var file = Core.Formats.Gguf.GgufFile.Open(synth.Path))
        {
            var writer = new Core.Formats.Gguf.GgufWriter();
            foreach (var (key, value) in file.Metadata) writer.Set(key, value);
            foreach (var t in file.Tensors.Where(t => !t.Name.Contains("attn_q_norm", StringComparison.Ordinal) && !t.Name.Contains("attn_k_norm", StringComparison.Ordinal)))
                writer.AddTensor(t);
            writer.Write(path);
        }
        using var model = ModelLoader.Load(path);
        var decoder = model.RequireDecoder();
        Assert.False(decoder.Options.QkNorm);
        Assert.All(decoder.Weights.Layers, l => Assert.Null(l.Attention!.QNorm));
        var prompt = DecoderChecks.Ids(9, 3, synth.Shape.Vocab);
        var error = LogitErrors.RelativeMax(DecoderChecks.Alone(synth.Model, Core.Tensors.DType.F32, prompt), DecoderChecks.Alone(decoder, Core.Tensors.DType.F32, prompt));
        Assert.True(error > 1e-3, $"without q/k norms: max|Δ|/max|ref| = {error:E2}");
    }

    // A GGUF without the gating key is read as sigmoid (llama.cpp's glm4moe default); a dots1 file likewise (dots.llm1's code).
    [Theory]
    [InlineData("tiny-glm4moe", "glm4moe.expert_gating_func")]
    [InlineData("tiny-dots1", "dots1.expert_gating_func")]
    public void AFileWithoutTheGatingKeyRoutesBySigmoid(string shape, string key)
    {
        using var synth = new SynthesizedModel(shape, "F16", 1);
        var path = Path.Combine(synth.Folder, "no-gating.gguf");
        using (var file = Core.Formats.Gguf.GgufFile.Open(synth.Path))
        {
            var writer = new Core.Formats.Gguf.GgufWriter();
            foreach (var (k, value) in file.Metadata.Where(entry => entry.Key != key)) writer.Set(k, value);
            foreach (var t in file.Tensors) writer.AddTensor(t);
            writer.Write(path);
        }
        using var model = ModelLoader.Load(path);
        Assert.Equal(MoeGating.Sigmoid, model.RequireDecoder().Options.Moe!.Gating);
    }

    [Fact]
    public void BadConfigsAreErrorsNamingTheKey()
    {
        using (var folder = new TinyHfFolder("glm4_moe", edit: c => c["n_group"] = 3))
            Assert.Contains("'n_group' is 3", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
        using (var folder = new TinyHfFolder("glm4_moe", edit: c => c["topk_group"] = 5))
            Assert.Contains("'topk_group' is 5", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
        using (var folder = new TinyHfFolder("glm4_moe", edit: c => c["hidden_act"] = "gelu"))
            Assert.Contains("'hidden_act' is 'gelu'", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
        using (var folder = new TinyHfFolder("dots1", edit: c => c["num_key_value_heads"] = 2))
            Assert.Contains("'num_key_value_heads' is 2", Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(folder.Folder)).Message);
        using (var folder = new TinyHfFolder("dots1", edit: c => c["first_k_dense_replace"] = 2))
            Assert.Contains("'first_k_dense_replace' is 2", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
        // A sliding layer llama.cpp's dots1 cannot express: the folder runs it, the conversion refuses it.
        using (var folder = new TinyHfFolder("dots1", edit: c => c["max_window_layers"] = 1))
        {
            using (var model = ModelLoader.Load(folder.Folder))
                Assert.Equal([0, 4096], model.RequireDecoder().Options.SlidingWindows);
            Assert.Contains("'max_window_layers' is 1", Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(folder.Folder)).Message);
        }
    }
}
