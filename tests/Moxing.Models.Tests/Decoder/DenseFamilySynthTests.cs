using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Synthesis;

namespace Moxing.Models.Tests.Decoder;

/// <summary>
/// The tiny synthetic GGUFs of the dense families (llama.cpp's names, shapes and keys) load with
/// their family's switches and run batched steps as each sequence alone; a key llama.cpp requires is a clear error when missing.
/// </summary>
public sealed class DenseFamilySynthTests
{
    [Theory]
    [InlineData("tiny-granite")]
    [InlineData("tiny-olmo2")]
    [InlineData("tiny-gemma")]
    [InlineData("tiny-phi2")]
    [InlineData("tiny-starcoder2")]
    [InlineData("tiny-falcon")]
    [InlineData("tiny-exaone")]
    [InlineData("tiny-smollm3")]
    [InlineData("tiny-internlm2")]
    [InlineData("tiny-command-r")]
    [InlineData("tiny-cohere2")]
    [InlineData("tiny-stablelm")]
    [InlineData("tiny-glm4")]
    [InlineData("tiny-chatglm")]
    [InlineData("tiny-nemotron")]
    [InlineData("tiny-olmo")]
    [InlineData("tiny-minicpm")]
    [InlineData("tiny-ernie4_5")]
    [InlineData("tiny-seed_oss")]
    [InlineData("tiny-exaone4")]
    [InlineData("tiny-hunyuan-dense")]
    [InlineData("tiny-arcee")]
    [InlineData("tiny-mistral3")]
    [InlineData("tiny-apertus")]
    public void TheSynthesizedModelRunsBatchesAsEachSequenceAlone(string shape)
    {
        // Files give the lone step's bits (before the row kernels took the panels' float steps, tiny-gemma Q4_K_M differed by
        // 2e-3 and tiny-exaone4 by 1.5e-2; F16 by 1e-5 before one vector summed in the order of several)
        foreach (var type in new[] { "Q8_0", "Q4_K_M", "F16", "BF16" })
        {
            using var synth = new SynthesizedModel(shape, type, 4);
            DecoderChecks.MixedBatchMatchesEachSequenceAlone(synth.Model, 0, DType.F32);
        }
    }

    // Older converters wrote Phi-2's Wqkv as one attn_qkv matrix and bias: the same rows, q then k then v.
    [Fact]
    public void APhi2WithFusedQkvGivesTheSameLogits()
    {
        using var synth = new SynthesizedModel("tiny-phi2", "F16", 2);
        var fused = Path.Combine(synth.Folder, "fused.gguf");
        using (var file = GgufFile.Open(synth.Path))
        {
            var writer = new GgufWriter();
            foreach (var (key, value) in file.Metadata) writer.Set(key, value);
            foreach (var t in file.Tensors.Where(t => !t.Name.Contains(".attn_k.") && !t.Name.Contains(".attn_v.")))
            {
                if (!t.Name.Contains(".attn_q."))
                {
                    writer.AddTensor(t);
                    continue;
                }
                var parts = new[] { "attn_q", "attn_k", "attn_v" }.Select(n => file.Find(t.Name.Replace("attn_q", n))!).ToArray();
                var rows = parts.Sum(p => p.Shape[0]);
                long[] shape = t.Shape.Length == 2 ? [rows, t.Shape[1]] : [rows];
                writer.AddTensor(t.Name.Replace("attn_q", "attn_qkv"), t.Type, shape, parts.SelectMany(p => p.Bytes.ToArray()).ToArray());
            }
            writer.Write(fused);
        }
        var prompt = DecoderChecks.Ids(11, 3, synth.Shape.Vocab);
        using var loaded = ModelLoader.Load(fused);
        Assert.NotNull(loaded.RequireDecoder().Weights.Layers[0].Attention!.Qkv);
        DecoderChecks.AssertClose(DecoderChecks.Alone(synth.Model, prompt), DecoderChecks.Alone(loaded.RequireDecoder(), prompt), 1e-6, "fused qkv");
    }

    // llama.cpp's exaone4 on 64 layers: every 4th layer full and unrotated, the others windowed (attention.sliding_window) and rotated.
    [Fact]
    public void Exaone4SlidesAndRotatesThreeLayersOfFour()
    {
        using var synth = new SynthesizedModel("tiny-exaone4", "F16", 1);
        var o = synth.Model.Options;
        Assert.Equal(Enumerable.Range(0, 64).Select(i => i % 4 < 3 ? 8 : 0), o.SlidingWindows);
        Assert.Equal(Enumerable.Range(0, 64).Select(i => i % 4 < 3), Enumerable.Range(0, 64).Select(o.Rotates));
    }

    [Fact]
    public void GraniteReadsItsFourMultipliers()
    {
        using var synth = new SynthesizedModel("tiny-granite", "F16", 1);
        var o = synth.Model.Options;
        Assert.Equal((12f, 0.22f, 0.015625f, 8f), (o.EmbeddingScale, o.ResidualScale, o.EffectiveAttentionScale, o.LogitDivisor));
    }

    [Fact]
    public void CohereReadsItsLogitScaleAndCohere2RotatesOnlyItsSlidingLayers()
    {
        using (var r = new SynthesizedModel("tiny-command-r", "F16", 1))
            Assert.Equal((16f, RopeStyle.Interleaved, true, false), (r.Model.Options.LogitDivisor, r.Model.Options.Rope!.Style, r.Model.Options.ParallelBlock, r.Model.Options.QkNorm));
        using var r7 = new SynthesizedModel("tiny-cohere2", "F16", 1);
        var o = r7.Model.Options;
        Assert.Equal(4f, o.LogitDivisor);
        Assert.Equal([8, 8, 8, 0], o.SlidingWindows);
        Assert.Equal([true, true, true, false], Enumerable.Range(0, 4).Select(o.Rotates));
    }

    [Fact]
    public void MiniCpmReadsItsMultipliersOrLlamaCppsDefaults()
    {
        using var synth = new SynthesizedModel("tiny-minicpm", "F16", 1);
        var o = synth.Model.Options;
        Assert.Equal((12f, 0.7f, 4f, RopeStyle.Interleaved), (o.EmbeddingScale, o.ResidualScale, o.LogitDivisor, o.Rope!.Style));
        // GGUFs converted before the multipliers were written: llama.cpp's 12, 1.4 / sqrt(layers) and 256 / hidden.
        var old = Path.Combine(synth.Folder, "old.gguf");
        SyntheticModelWriter.Build(synth.Shape, SynthFileType.Find("F16")!, 1)
            .Remove("minicpm.embedding_scale").Remove("minicpm.residual_scale").Remove("minicpm.logit_scale").Write(old);
        using var loaded = ModelLoader.Load(old);
        var d = loaded.RequireDecoder().Options;
        Assert.Equal((12f, 0.7f, 1f), (d.EmbeddingScale, d.ResidualScale, d.LogitDivisor));
    }

    [Fact]
    public void Glm4NemotronAndOlmoReadTheirSwitches()
    {
        using (var glm = new SynthesizedModel("tiny-glm4", "F16", 1))
        {
            var o = glm.Model.Options;
            Assert.Equal((RopeStyle.Interleaved, 32, true, true), (o.Rope!.Style, o.Rope.RotaryDim, o.PreNorms, o.PostNorms));
            Assert.NotNull(glm.Model.Weights.Layers[0].Mlp!.GateUp);
        }
        using (var nemotron = new SynthesizedModel("tiny-nemotron", "F16", 1))
        {
            var o = nemotron.Model.Options;
            // The converter wrote 1 + w: the GGUF's weights are used as they are.
            Assert.Equal((NormKind.Layer, 0f, Activation.ReluSquared, false, RopeStyle.Half, 32), (o.Norm, o.NormWeightOffset, o.Activation, o.GatedMlp, o.Rope!.Style, o.Rope.RotaryDim));
        }
        using var olmo = new SynthesizedModel("tiny-olmo", "F16", 1);
        Assert.Equal((NormKind.Layer, true, 0.5f), (olmo.Model.Options.Norm, olmo.Model.Options.NormsWithoutWeights, olmo.Model.Options.QkvClip));
    }

    [Fact]
    public void AGlm4VOrAGlmOcrGgufIsReadAsLlamaCppReadsIt()
    {
        using var synth = new SynthesizedModel("tiny-glm4", "F16", 1);
        var sections = Path.Combine(synth.Folder, "glm4v.gguf");
        SyntheticModelWriter.Build(synth.Shape, SynthFileType.Find("F16")!, 1).Set("glm4.rope.dimension_sections", new[] { 8, 12, 12, 0 }).Write(sections);
        Assert.Contains("'glm4.rope.dimension_sections' is set", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(sections)).Message);
        // GLM-OCR's last block predicts the next token; llama.cpp's forward pass leaves it out.
        var nextn = Path.Combine(synth.Folder, "glm-ocr.gguf");
        SyntheticModelWriter.Build(synth.Shape, SynthFileType.Find("F16")!, 1).Set("glm4.nextn_predict_layers", 1u).Write(nextn);
        using var loaded = ModelLoader.Load(nextn);
        Assert.Equal(3, loaded.RequireDecoder().Options.LayerCount);
    }

    [Fact]
    public void AGraniteWithoutLogitScaleIsAClearError()
    {
        using var synth = new SynthesizedModel("tiny-granite", "F16", 1);
        var path = Path.Combine(synth.Folder, "bad.gguf");
        SyntheticModelWriter.Build(synth.Shape, SynthFileType.Find("F16")!, 1).Remove("granite.logit_scale").Write(path);
        var error = Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(path));
        Assert.Contains("'granite.logit_scale' is missing", error.Message);
    }
}
