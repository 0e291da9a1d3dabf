using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Synthesis;
using Moxing.Tests;

namespace Moxing.Models.Tests.Decoder;

/// <summary>
/// A synthetic gpt-oss GGUF (F16 attention, MXFP4 experts, window 8 on even layers): the options llama.cpp derives, logits
/// against a double-precision statement of the architecture (and far from it with the sinks dropped or top-k and softmax
/// swapped), batched steps equal to each sequence alone (within the 8-bit activations' rounding, amplified), bad files refused clearly.
/// </summary>
public sealed class GptOssForwardTests() : SynthesizedModelTests("tiny-gpt-oss", "F16", 5)
{
    [Fact]
    public void TheOptionsAreLlamaCppsReadingOfTheFile()
    {
        var o = Model.Options;
        Assert.Equal("gpt-oss", o.Architecture);
        Assert.True(o.AttentionSinks);
        Assert.Equal([8, 0, 8, 0], o.SlidingWindows);
        Assert.Null(o.SlidingRope);
        Assert.Equal(Activation.SwigluOai, o.Activation);
        Assert.Equal((8, 4, 256, true), (o.Moe!.ExpertCount, o.Moe.ExpertsUsed, o.Moe.ExpertFeedForward, o.Moe.NormalizeTopK));
        Assert.Equal((RopeScaling.Yarn, 32.0, 4096, RopeStyle.Half), (o.Rope!.Scaling, o.Rope.Factor, o.Rope.OriginalContext, o.Rope.Style));
        var layer = Model.Weights.Layers[1];
        Assert.All(new[] { layer.Attention!.Q!, layer.Attention!.K!, layer.Attention!.V!, layer.Attention!.O, layer.Moe!.Router }, l => Assert.NotNull(l.Bias));
        Assert.Equal(Shape.Heads, layer.Attention!.Sinks!.Length);
        Assert.All(layer.Moe.Experts, e => Assert.All(e.Linears, l => Assert.NotNull(l.Bias)));
        Assert.Equal(DType.MXFP4, layer.Moe.Experts[0].Gate!.Weight.Type);
    }

    [Fact]
    public void LogitsMatchTheArchitectureWrittenOutAndNotItsMutations()
    {
        // 20 tokens: the window of 8 cuts the even layers' attention. The error (4.5e-3) is the experts' 8-bit activations
        // (ggml's q8_0, as llama.cpp computes MXFP4); the mutations are 0.28 and 0.50 away. These ids route no token where
        // two experts tie within that error (other seeds may: one token then takes another expert).
        var ids = DecoderChecks.Ids(20, 5, Vocab);
        var actual = Alone(ids);
        using var file = GgufFile.Open(Synth.Path);
        var reference = new GptOssReference(file, Model.Options);
        var error = LogitErrors.RelativeMax(reference.Logits(ids, new GptOssVariant()), actual);
        Assert.True(error <= 1e-2, $"max|Δ|/max|ref| = {error:E2}");
        foreach (var mutation in new[] { new GptOssVariant(Sinks: false), new GptOssVariant(SoftmaxOfTopK: false) })
        {
            var distance = LogitErrors.RelativeMax(reference.Logits(ids, mutation), actual);
            Assert.True(distance > 10 * error, $"{mutation}: the model is {distance:E2} from it, {error:E2} from the architecture");
        }
    }

    // Q8_0 experts with top-k routing: a product's bits do not depend on how many tokens an expert takes in the step (row
    // kernels or panels), so the router and the experts see what they see alone, and the logits are the lone step's bits.
    [Fact]
    public void MixedPrefillAndDecodeBatchMatchesEachSequenceAlone()
    {
        var path = Path.Combine(Synth.Folder, "q8_0.gguf");
        SyntheticModelWriter.Write(Shape, SynthFileType.Find("Q8_0")!, 5, path);
        using var loaded = ModelLoader.Load(path);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(loaded.RequireDecoder(), 0);
    }

    [Fact]
    public void AFileWithoutSinksIsAClearError()
    {
        var path = Path.Combine(Synth.Folder, "bad.gguf");
        DecoderChecks.CopyWithout(Synth.Path, path, "blk.1.attn_sinks.weight");
        var error = Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(path));
        Assert.Contains("tensor 'blk.1.attn_sinks.weight' is missing", error.Message);
    }

    [Fact]
    public void ExpertBiasesOfTheWrongShapeAreAClearError()
    {
        var path = Path.Combine(Synth.Folder, "bad.gguf");
        DecoderChecks.CopyWithout(Synth.Path, path, "blk.0.ffn_up_exps.bias",
            w => w.AddF32("blk.0.ffn_up_exps.bias", [Shape.Experts, 3], new float[Shape.Experts * 3]));
        var error = Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(path));
        Assert.Contains("'blk.0.ffn_up_exps.bias' has shape [8, 3], expected [8, 256]", error.Message);
    }
}
