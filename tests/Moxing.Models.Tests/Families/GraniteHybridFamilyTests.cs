using System.Text.Json.Nodes;
using Moxing.Core;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Tests.Decoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// Granite 4.0 hybrid (<see cref="TinyHfFolder"/>'s granitemoehybrid: Mamba2 layers around an attention layer, experts with a
/// shared MLP, or the shared MLP alone) gives <see cref="DenseReference"/>'s logits; the Mamba2 state carries across chunks,
/// steps and batches and is freed with the sequence.
/// </summary>
public sealed class GraniteHybridFamilyTests
{
    private static void Dense(JsonObject c) => c["num_local_experts"] = 0;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheFolderMatchesTheReference(bool dense)
    {
        using var folder = new TinyHfFolder("granitemoehybrid", edit: dense ? Dense : null);
        DecoderChecks.AssertClose(DenseFamilyTests.Flatten(new DenseReference(folder.Folder).Forward(DenseFamilyTests.Prompt)),
            DenseFamilyTests.Logits(folder.Folder), 1e-4, dense ? "granitemoehybrid, dense" : "granitemoehybrid");
    }

    // One B/C group, so transformers' whole-width gated norm and llama.cpp's per-group one agree.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheConvertedGgufMatchesTheFolder(bool dense)
    {
        using var folder = new TinyHfFolder("granitemoehybrid", edit: c =>
        {
            c["mamba_n_groups"] = 1;
            if (dense) Dense(c);
        });
        var dir = Directory.CreateTempSubdirectory("moxing-granitehybrid-").FullName;
        try
        {
            var path = Path.Combine(dir, "granitehybrid.gguf");
            using (var input = new Moxing.Models.Conversion.HfGgufInput(folder.Folder))
                Core.Quantization.GgufQuantizer.Quantize(input, path, Core.Quantization.Mixes.QuantizationMix.Find("F32")!, null, Core.Kernels.WorkerPool.Shared);
            using (var file = Core.Formats.Gguf.GgufFile.Open(path))
            {
                Assert.Equal(new uint[] { 0, 2, 0 }, file.Metadata.GetArray<uint>("granitehybrid.attention.head_count_kv"));
                Assert.Equal((8, 128, 1, 16, 4), (file.Metadata.GetInt32("granitehybrid.ssm.time_step_rank"), file.Metadata.GetInt32("granitehybrid.ssm.inner_size"),
                    file.Metadata.GetInt32("granitehybrid.ssm.group_count"), file.Metadata.GetInt32("granitehybrid.ssm.state_size"), file.Metadata.GetInt32("granitehybrid.ssm.conv_kernel")));
                Assert.Equal([8L, 1L], file.Find("blk.0.ssm_a")!.Shape);
                Assert.Equal([1L, 128L], file.Find("blk.0.ssm_norm.weight")!.Shape);
                Assert.Equal([160L, 4L], file.Find("blk.0.ssm_conv1d.weight")!.Shape);
                Assert.NotNull(file.Find(dense ? "blk.0.ffn_gate.weight" : "blk.0.ffn_gate_shexp.weight"));
            }
            DecoderChecks.AssertClose(DenseFamilyTests.Logits(folder.Folder), DenseFamilyTests.Logits(path), 1e-5, "granitemoehybrid → F32 GGUF");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("ssm_decay")]
    [InlineData("ssm_skip")]
    [InlineData("conv_silu")]
    [InlineData("shared_expert")]
    public void DroppingASwitchMovesTheLogitsFarBeyondTheTolerance(string drop)
    {
        using var folder = new TinyHfFolder("granitemoehybrid");
        var error = DenseFamilyTests.DroppedSwitchError(folder.Folder, drop);
        Assert.True(error > 1e-3, $"granitemoehybrid without {drop}: max|Δ|/max|ref| = {error:E2}");
    }

    [Fact]
    public void PrefillInChunksEqualsOneCallEqualsTokenByToken()
    {
        using var folder = new TinyHfFolder("granitemoehybrid");
        using var model = ModelLoader.Load(folder.Folder);
        DecoderChecks.ChunksEqualOneCallEqualTokenByToken(model.RequireDecoder(), DenseFamilyTests.Prompt);
    }

    [Fact]
    public void BatchesEqualEachSequenceAloneAndReleasedStateIsFreed()
    {
        using var folder = new TinyHfFolder("granitemoehybrid");
        using var model = ModelLoader.Load(folder.Folder);
        var decoder = model.RequireDecoder();
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(decoder, 1e-5, DType.F32);
        var o = decoder.Options;
        // two Mamba2 layers: 3 kept inputs of 192 channels and a 128 × 16 state each
        Assert.Equal((1, 2 * (3 * 192 + 128 * 16)), (o.KvLayerCount, o.RecurrentStateFloats));
        var pool = decoder.CreateBlockPool(1L << 20, DType.F32, sequences: 1);
        using (var sequence = new SequenceKv(pool, 64))
        {
            decoder.Forward(DenseFamilyTests.Prompt, sequence, decoder.CreateScratch(16), new float[o.VocabSize], allLogits: false);
            Assert.Equal(1, pool.States!.HeldSlotCount);
        }
        Assert.Equal((0, pool.BlockCount), (pool.States.HeldSlotCount, pool.FreeBlockCount));
    }

    // llama.cpp's granitehybrid keys: Mamba2 layers from head_count_kv's zeros, the ssm.* sizes, the norm per B/C group, no
    // positions (rope.scaling.finetuned false), Granite's multipliers, experts with a shared expert.
    [Theory]
    [InlineData("F16")]
    [InlineData("Q8_0")]
    public void TheSynthesizedGgufReadsItsLayersAndRunsBatchesAsAlone(string type)
    {
        using var synth = new SynthesizedModel("tiny-granitehybrid", type, 3);
        var o = synth.Model.Options;
        var m = o.Mamba!;
        Assert.Equal([true, true, false, true, true, false], m.Layers);
        Assert.Equal((8, 64, 32, 2, 4, 2), (m.Heads, m.HeadDim, m.StateSize, m.Groups, m.ConvKernel, m.NormGroups));
        Assert.Null(o.Rope);
        Assert.Equal((12f, 0.22f, 6f, 8, 192), (o.EmbeddingScale, o.ResidualScale, o.LogitDivisor, o.Moe!.ExpertCount, o.Moe.SharedFeedForward));
        Assert.True(synth.Model.Weights.Layers[0].Mamba!.A.All(a => a < 0));
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(synth.Model, 1e-5, DType.F32);
    }

    [Theory]
    [InlineData("layer_types", "'layer_types' has 'ssm'")]
    [InlineData("all_mamba", "'layer_types' has no attention layer")]
    [InlineData("mamba_n_heads", "'mamba_n_heads' is 6")]
    [InlineData("mamba_n_groups", "'mamba_n_groups' is 3")]
    public void BadConfigsAreErrorsNamingTheKey(string broken, string message)
    {
        using var folder = new TinyHfFolder("granitemoehybrid", edit: c =>
        {
            switch (broken)
            {
                case "layer_types": c["layer_types"]![0] = "ssm"; break;
                case "all_mamba": c["layer_types"] = new JsonArray("mamba", "mamba", "mamba"); break;
                case "mamba_n_heads": c["mamba_n_heads"] = 6; break;
                default: c["mamba_n_groups"] = 3; break;
            }
        });
        Assert.Contains(message, Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
    }
}
