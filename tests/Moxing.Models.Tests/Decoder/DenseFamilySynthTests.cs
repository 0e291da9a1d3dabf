using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Core.Tensors;
using Moxing.Models.Synthesis;

namespace Moxing.Models.Tests.Decoder;

/// <summary>
/// The tiny synthetic GGUFs of Granite, OLMo 2, Gemma, Phi-2 and StarCoder2 (llama.cpp's names, shapes and keys) load with
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
    public void TheSynthesizedModelRunsBatchesAsEachSequenceAlone(string shape)
    {
        // F16: a quantized file's one-row and several-row products round activations apart (tiny-gemma Q4_K_M: 2e-3).
        using var synth = new SynthesizedModel(shape, "F16", 4);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(synth.Model, 1e-5, DType.F32);
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
        Assert.NotNull(loaded.RequireDecoder().Weights.Layers[0].Attention.Qkv);
        DecoderChecks.AssertClose(DecoderChecks.Alone(synth.Model, prompt), DecoderChecks.Alone(loaded.RequireDecoder(), prompt), 1e-6, "fused qkv");
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
    public void AGraniteWithoutLogitScaleIsAClearError()
    {
        using var synth = new SynthesizedModel("tiny-granite", "F16", 1);
        var path = Path.Combine(synth.Folder, "bad.gguf");
        SyntheticModelWriter.Build(synth.Shape, SynthFileType.Find("F16")!, 1).Remove("granite.logit_scale").Write(path);
        var error = Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(path));
        Assert.Contains("'granite.logit_scale' is missing", error.Message);
    }
}
