using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Core.Tensors;
using Moxing.Models.Tests.Decoder;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// Hugging Face gpt-oss folders (MXFP4 blocks and scales, and the BF16 re-uploads) written from a synthetic gpt-oss GGUF by
/// <see cref="GptOssHfFolder"/>: the experts become the GGUF's MXFP4 blocks byte for byte, the logits are the GGUF's and the
/// double-precision statement of the architecture's, and broken folders are refused naming the tensor or key.
/// </summary>
public sealed class GptOssHfFolderTests() : SynthesizedModelTests("tiny-gpt-oss", "F16", 5)
{
    private string Folder(GptOssCheckpoint kind, bool truncate = true, string? extraConfig = null)
    {
        var folder = Path.Combine(Synth.Folder, $"{kind}-{truncate}".ToLowerInvariant());
        GptOssHfFolder.Write(Synth.Path, folder, kind, truncate, extraConfig);
        return folder;
    }

    [Fact]
    public void Mxfp4ExpertsBecomeTheGgufsBlocksByteForByte()
    {
        using var loaded = ModelLoader.Load(Folder(GptOssCheckpoint.Mxfp4));
        using var gguf = GgufFile.Open(Synth.Path);
        for (var layer = 0; layer < Shape.Layers; layer++)
            foreach (var (hf, gg) in new[] { ("gate_proj", "ffn_gate_exps"), ("up_proj", "ffn_up_exps"), ("down_proj", "ffn_down_exps") })
            {
                var ours = loaded.Tensors.Single(t => t.Name == $"model.layers.{layer}.mlp.experts.{hf}.weight");
                var theirs = gguf.Find($"blk.{layer}.{gg}.weight")!;
                Assert.Equal(DType.MXFP4, ours.Type);
                Assert.Equal(theirs.Shape, ours.Shape);
                Assert.True(theirs.Bytes.SequenceEqual(ours.Bytes), $"layer {layer} {hf}: blocks differ");
            }
        Assert.True(loaded.CopiedWeightBytes > 0, "the repacked experts are copies, not the file's mapping");
        var moe = loaded.RequireDecoder().Weights.Layers[0].Moe!;
        Assert.All(moe.Experts, e => Assert.All(e.Linears, l => Assert.NotNull(l.Bias)));
    }

    [Fact]
    public void TheOptionsAreTheConfigsAndTruncateIsHonoured()
    {
        using var loaded = ModelLoader.Load(Folder(GptOssCheckpoint.Mxfp4, truncate: false));
        var o = loaded.RequireDecoder().Options;
        Assert.True(o.AttentionSinks);
        Assert.Equal(Activation.SwigluOai, o.Activation);
        Assert.Equal([8, 0, 8, 0], o.SlidingWindows);
        Assert.Equal((8, 4, 256, true), (o.Moe!.ExpertCount, o.Moe.ExpertsUsed, o.Moe.ExpertFeedForward, o.Moe.NormalizeTopK));
        Assert.Equal((RopeScaling.Yarn, 32.0, 4096, 150000.0, false), (o.Rope!.Scaling, o.Rope.Factor, o.Rope.OriginalContext, o.Rope.Theta, o.Rope.YarnTruncate));
    }

    // The GGUF's and the folder's products read the same values (F16 → F32 exactly, MXFP4 blocks identical); what differs is
    // F16 vs F32 attention kernels. Against the double-precision oracle (given the folder's own RoPE) the MXFP4 folder carries
    // the experts' 8-bit activations (4.5e-3, as in GptOssForwardTests, whose ids route no token at a near-tie; with truncate
    // false one token here meets a tie within that error and takes another expert, 0.09), the BF16 folder only its products' rounding (2.0e-4 measured).
    [Theory]
    [InlineData(GptOssCheckpoint.Mxfp4, true, 1e-2)]
    [InlineData(GptOssCheckpoint.Bf16, false, 1e-3)]
    public void FolderLogitsAreTheGgufsAndTheArchitectures(GptOssCheckpoint kind, bool truncate, double oracleTolerance)
    {
        var ids = DecoderChecks.Ids(20, 5, Vocab);
        var gguf = Alone(ids);
        using (var folder = ModelLoader.Load(Folder(kind)))
            DecoderChecks.AssertClose(gguf, DecoderChecks.Alone(folder.RequireDecoder(), ids), kind == GptOssCheckpoint.Mxfp4 ? 1e-3 : 1e-2, $"{kind} folder vs GGUF");
        using var loaded = ModelLoader.Load(Folder(kind, truncate));
        var model = loaded.RequireDecoder();
        using var file = GgufFile.Open(Synth.Path);
        var reference = new GptOssReference(file, model.Options).Logits(ids, new GptOssVariant());
        DecoderChecks.AssertClose(reference, DecoderChecks.Alone(model, ids), oracleTolerance, $"{kind} folder vs the architecture");
    }

    [Fact]
    public void MissingScalesAreAClearError()
    {
        var folder = Folder(GptOssCheckpoint.Mxfp4);
        Rewrite(folder, names => names.Where(n => n != "model.layers.1.mlp.experts.down_proj_scales"));
        var e = Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder));
        Assert.Contains("tensor 'model.layers.1.mlp.experts.down_proj_scales' is missing", e.Message);
    }

    [Fact]
    public void BlocksOfAnotherShapeAreAClearError()
    {
        var folder = Folder(GptOssCheckpoint.Mxfp4, extraConfig: """, "intermediate_size": 128""");
        var e = Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder));
        Assert.Contains("tensor 'model.layers.0.mlp.experts.gate_up_proj_blocks' is U8 [8, 512, 8, 16], expected U8 [8, 256, 8, 16]", e.Message);
    }

    [Fact]
    public void AnUnknownQuantMethodIsAClearError()
    {
        var folder = Folder(GptOssCheckpoint.Bf16, extraConfig: """, "quantization_config": {"quant_method": "awq"}""");
        var e = Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder));
        Assert.Contains("key 'quantization_config.quant_method' is 'awq'", e.Message);
    }

    [Fact]
    public void MissingExpertsAreAClearError()
    {
        var folder = Folder(GptOssCheckpoint.Bf16);
        Rewrite(folder, names => names.Where(n => n != "model.layers.2.mlp.experts.gate_up_proj"));
        var e = Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder));
        Assert.Contains("'model.layers.2.mlp.experts.gate_up_proj_blocks' (MXFP4) or 'model.layers.2.mlp.experts.gate_up_proj' is missing", e.Message);
    }

    // Rewrites the folder's safetensors keeping the tensors `keep` selects.
    /// <summary>Rewrites the folder's model.safetensors with the tensors <paramref name="keep"/> keeps of its names.</summary>
    internal static void Rewrite(string folder, Func<IEnumerable<string>, IEnumerable<string>> keep)
    {
        var path = Path.Combine(folder, "model.safetensors");
        var copy = path + ".old";
        File.Move(path, copy);
        using (var source = Core.Formats.Safetensors.SafetensorsFile.Open(copy))
        {
            var w = new Core.Formats.Safetensors.SafetensorsWriter();
            var kept = keep(source.Tensors.Select(t => t.Name)).ToHashSet();
            foreach (var t in source.Tensors.Where(t => kept.Contains(t.Name))) w.Add(t);
            w.Write(path);
        }
        File.Delete(copy);
    }
}
