using System.Text.Json.Nodes;
using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Tests.Decoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// Mamba 1 (<see cref="TinyHfFolder"/>'s mamba and falcon_mamba: blocks of a norm and a selective scan) gives <see cref="DenseReference"/>'s
/// logits, its F32 GGUF (llama.cpp's mamba) the folder's; each part of the scan matters; the state carries across chunks and batches.
/// </summary>
public sealed class MambaFamilyTests
{
    private static Action<JsonObject>? Edit(string variant) => variant switch
    {
        "use_bias" => c => c["use_bias"] = true,
        "auto_rank" => c => c["time_step_rank"] = "auto",
        _ => null,
    };

    [Theory]
    [InlineData("mamba", "")]
    [InlineData("mamba", "use_bias")]
    [InlineData("mamba", "auto_rank")]
    [InlineData("falcon_mamba", "")]
    public void TheFolderMatchesTheReference(string type, string variant)
    {
        using var folder = new TinyHfFolder(type, edit: Edit(variant));
        DecoderChecks.AssertClose(DenseFamilyTests.Flatten(new DenseReference(folder.Folder).Forward(DenseFamilyTests.Prompt)),
            DenseFamilyTests.Logits(folder.Folder), 1e-4, $"{type} {variant}");
    }

    [Theory]
    [InlineData("mamba", "ssm_decay")]
    [InlineData("mamba", "a_exp")]
    [InlineData("mamba", "ssm_skip")]
    [InlineData("mamba", "dt_softplus")]
    [InlineData("mamba", "dt_bias")]
    [InlineData("mamba", "conv_bias")]
    [InlineData("mamba", "conv_silu")]
    [InlineData("mamba", "gate")]
    [InlineData("falcon_mamba", "selection_norms")]
    public void DroppingASwitchMovesTheLogitsFarBeyondTheTolerance(string type, string drop)
    {
        using var folder = new TinyHfFolder(type);
        var error = DenseFamilyTests.DroppedSwitchError(folder.Folder, drop);
        Assert.True(error > 1e-3, $"{type} without {drop}: max|Δ|/max|ref| = {error:E2}");
    }

    // MambaModel's keys and tensors: no attention or feed-forward, the ssm.* sizes, dt_b_c_rms for Falcon-Mamba; A = −exp(A_log) as
    // [inner, state], D as [inner], the kernel squeezed. llama.cpp norms Falcon-Mamba's dt, B and C with the model's epsilon (1e-5
    // here), not mixer_rms_eps (1e-6; the logits then differ by 2.5e-4): the folder's is set to it, so the rest is held to the tolerance.
    [Theory]
    [InlineData("mamba")]
    [InlineData("falcon_mamba")]
    public void TheConvertedGgufMatchesTheFolder(string type)
    {
        using var folder = new TinyHfFolder(type, edit: c => c["mixer_rms_eps"] = 1e-5);
        using var gguf = new ConvertedGguf(folder.Folder);
        using (var file = GgufFile.Open(gguf.Path))
        {
            var m = file.Metadata;
            Assert.Equal("mamba", m.GetString("general.architecture"));
            Assert.Equal((128, 16, 4, 8, 0, 0), (m.GetInt32("mamba.ssm.inner_size"), m.GetInt32("mamba.ssm.state_size"), m.GetInt32("mamba.ssm.conv_kernel"),
                m.GetInt32("mamba.ssm.time_step_rank"), m.GetInt32("mamba.attention.head_count"), m.GetInt32("mamba.feed_forward_length")));
            Assert.True(m.TryGetBool("mamba.ssm.dt_b_c_rms", out var rms));
            Assert.Equal(type == "falcon_mamba", rms);
            Assert.False(m.ContainsKey("mamba.attention.head_count_kv"));
            Assert.Equal([128L, 16L], file.Find("blk.0.ssm_a")!.Shape);
            Assert.Equal([128L], file.Find("blk.0.ssm_d")!.Shape);
            Assert.Equal([128L, 4L], file.Find("blk.0.ssm_conv1d.weight")!.Shape);
            Assert.Equal([40L, 128L], file.Find("blk.0.ssm_x.weight")!.Shape);
            Assert.Equal([128L], file.Find("blk.0.ssm_dt.bias")!.Shape);
            Assert.Equal(type == "falcon_mamba", file.Find("output.weight") != null);
        }
        DecoderChecks.AssertClose(DenseFamilyTests.Logits(folder.Folder), DenseFamilyTests.Logits(gguf.Path), 1e-5, type + " → F32 GGUF");
    }

    [Theory]
    [InlineData("mamba")]
    [InlineData("falcon_mamba")]
    public void PrefillInChunksEqualsOneCallAndBatchesEqualEachSequenceAlone(string type)
    {
        using var folder = new TinyHfFolder(type);
        using var model = ModelLoader.Load(folder.Folder);
        var decoder = model.RequireDecoder();
        DecoderChecks.ChunksEqualOneCallEqualTokenByToken(decoder, DenseFamilyTests.Prompt);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(decoder, 1e-5, DType.F32);
        // three blocks keep 3 inputs of 128 channels and a 128 × 16 state each; nothing attends
        Assert.Equal((0, 3 * (3 * 128 + 128 * 16)), (decoder.Options.KvLayerCount, decoder.Options.RecurrentStateFloats));
    }

    // llama.cpp's mamba keys: the ssm.* sizes, no heads and no feed-forward, every block a selective scan.
    [Theory]
    [InlineData("tiny-mamba", "F16")]
    [InlineData("tiny-mamba", "Q8_0")]
    [InlineData("tiny-falcon-mamba", "F16")]
    public void TheSynthesizedGgufReadsAsMambaAndRunsBatchesAsAlone(string shape, string type)
    {
        using var synth = new SynthesizedModel(shape, type, 4);
        var o = synth.Model.Options;
        var m = o.Mamba!;
        Assert.Equal((true, 512, 16, 4, 32), (m.Selective, m.Inner, m.StateSize, m.ConvKernel, m.TimeStepRank));
        Assert.Equal((shape == "tiny-falcon-mamba" ? MambaSelectionNorms.Unweighted : MambaSelectionNorms.None, o.NormEps), (m.SelectionNorms, m.SelectionNormEps));
        Assert.Equal((0, false, 4), (o.KvLayerCount, o.HasFeedForward, m.Layers.Count(l => l)));
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(synth.Model, 1e-5, DType.F32);
        DecoderChecks.ChunksEqualOneCallEqualTokenByToken(synth.Model, DecoderChecks.Ids(13, 5, o.VocabSize));
    }

    [Theory]
    [InlineData("hidden_act", "'hidden_act' is 'gelu'")]
    [InlineData("time_step_rank", "'time_step_rank' is 'fast'")]
    [InlineData("conv_kernel", "'conv_kernel' must be at least 2")]
    [InlineData("state_size", "'state_size' is 0")]
    [InlineData("expand", "'expand' is 0")]
    public void BadConfigsAreErrorsNamingTheKey(string key, string message)
    {
        using var folder = new TinyHfFolder("mamba", edit: c => c[key] = key switch
        {
            "hidden_act" => "gelu",
            "time_step_rank" => "fast",
            "conv_kernel" => 1,
            _ => 0,
        });
        Assert.Contains(message, Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
    }

    [Theory]
    [InlineData("mamba.ssm.time_step_rank", 0u, "'mamba.ssm.time_step_rank' is 0")]
    [InlineData("mamba.ssm.conv_kernel", 1u, "'mamba.ssm.conv_kernel' must be at least 2")]
    [InlineData("mamba.feed_forward_length", 64u, "must be 0")]
    [InlineData("mamba.ssm.state_size", 8u, "'blk.0.ssm_x.weight' has shape")]
    public void BadKeysAreErrorsNamingThem(string key, uint value, string message)
    {
        using var synth = new SynthesizedModel("tiny-mamba", "F16", 4);
        var path = Path.Combine(synth.Folder, "bad.gguf");
        DecoderChecks.CopyWithout(synth.Path, path, "", w => w.Set(key, value));
        Assert.Contains(message, Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(path)).Message);
    }

    [Fact]
    public void AMissingTimeStepBiasIsAnErrorNamingIt()
    {
        using var synth = new SynthesizedModel("tiny-mamba", "F16", 4);
        var path = Path.Combine(synth.Folder, "bad.gguf");
        DecoderChecks.CopyWithout(synth.Path, path, "blk.2.ssm_dt.bias");
        Assert.Contains("tensor 'blk.2.ssm_dt.bias' is missing", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(path)).Message);
    }
}
