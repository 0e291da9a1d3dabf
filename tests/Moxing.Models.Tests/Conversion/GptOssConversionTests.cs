using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.Safetensors;
using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Core.Tensors;
using Moxing.Models.Conversion;
using Moxing.Models.Tests.Decoder;
using Moxing.Models.Tests.Families;

namespace Moxing.Models.Tests.Conversion;

/// <summary>
/// Hugging Face gpt-oss folders (written from a synthetic gpt-oss GGUF by <see cref="GptOssHfFolder"/>) converted as
/// convert_hf_to_gguf.py's GptOssModel writes them: the GGUF's tensor names back, MXFP4 experts kept whatever the type and
/// byte-identical to ggml's layout of the same codes, values equal to transformers' dequantization of the folder, the
/// converter's metadata keys, and the file running as the folder does.
/// </summary>
public sealed class GptOssConversionTests() : SynthesizedModelTests("tiny-gpt-oss", "F16", 5)
{
    private (string Folder, string Output) Convert(GptOssCheckpoint kind, string type)
    {
        var folder = Path.Combine(Synth.Folder, "gpt-oss-" + kind.ToString().ToLowerInvariant());
        GptOssHfFolder.Write(Synth.Path, folder, kind);
        var output = Path.Combine(Synth.Folder, $"{kind}.{type}.gguf");
        using var input = new HfGgufInput(folder);
        GgufQuantizer.Quantize(input, output, QuantizationMix.Find(type)!, null, WorkerPool.Shared);
        return (folder, output);
    }

    [Theory]
    [InlineData("F16", DType.F16, 38u)]
    [InlineData("Q8_0", DType.Q8_0, 7u)]
    public void Mxfp4ExpertsStayMxfp4AndTheRestTakesTheType(string type, DType matrices, uint fileType)
    {
        var (_, output) = Convert(GptOssCheckpoint.Mxfp4, type);
        using var ours = GgufFile.Open(output);
        using var synth = GgufFile.Open(Synth.Path);
        Assert.Equal(synth.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal), ours.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        foreach (var t in ours.Tensors)
        {
            var expected = t.Name.EndsWith("_exps.weight", StringComparison.Ordinal) ? DType.MXFP4
                : t.Shape.Length == 1 || t.Name.EndsWith(".bias", StringComparison.Ordinal) || t.Name.Contains("ffn_gate_inp", StringComparison.Ordinal) ? DType.F32
                : matrices;
            Assert.True(expected == t.Type, $"{t.Name} is {t.Type}, expected {expected}");
            Assert.Equal(synth.Find(t.Name)!.Shape, t.Shape);
            if (t.Type == DType.MXFP4) Assert.True(synth.Find(t.Name)!.Bytes.SequenceEqual(t.Bytes), $"{t.Name}: blocks differ from ggml's");
            else if (type == "F16") Assert.Equal(GptOssHfFolder.Floats(synth, t.Name), GptOssHfFolder.Floats(ours, t.Name));
        }
        Assert.Equal(fileType, ours.Metadata["general.file_type"]);
    }

    // The converted experts, dequantized by ggml's definition, are the folder's values as transformers dequantizes them
    // (FP4 level · 2^(scale − 127), element 2k in byte k's low nibble), gate from the even rows of gate_up, up from the odd.
    [Fact]
    public void ConvertedExpertsAreTheFoldersValues()
    {
        var (folder, output) = Convert(GptOssCheckpoint.Mxfp4, "F16");
        using var ours = GgufFile.Open(output);
        using var hf = SafetensorsFile.Open(Path.Combine(folder, "model.safetensors"));
        int experts = Shape.Experts, ff = Shape.ExpertFeedForward, hidden = Shape.Hidden;
        for (var layer = 0; layer < Shape.Layers; layer++)
        {
            var p = $"model.layers.{layer}.mlp.experts.";
            var gateUp = GptOssHfFolder.HfMxfp4Values(hf.Find(p + "gate_up_proj_blocks")!.Bytes, hf.Find(p + "gate_up_proj_scales")!.Bytes);
            var (gate, up) = (GptOssHfFolder.Floats(ours, $"blk.{layer}.ffn_gate_exps.weight"), GptOssHfFolder.Floats(ours, $"blk.{layer}.ffn_up_exps.weight"));
            for (var row = 0; row < experts * ff; row++)
            {
                Assert.True(gateUp.AsSpan(2 * row * hidden, hidden).SequenceEqual(gate.AsSpan(row * hidden, hidden)), $"layer {layer} gate row {row}");
                Assert.True(gateUp.AsSpan((2 * row + 1) * hidden, hidden).SequenceEqual(up.AsSpan(row * hidden, hidden)), $"layer {layer} up row {row}");
            }
            var down = GptOssHfFolder.HfMxfp4Values(hf.Find(p + "down_proj_blocks")!.Bytes, hf.Find(p + "down_proj_scales")!.Bytes);
            Assert.Equal(down, GptOssHfFolder.Floats(ours, $"blk.{layer}.ffn_down_exps.weight"));
        }
    }

    [Fact]
    public void Bf16ExpertsBecomeBf16StacksOfTheSameValues()
    {
        var (_, output) = Convert(GptOssCheckpoint.Bf16, "BF16");
        using var ours = GgufFile.Open(output);
        using var synth = GgufFile.Open(Synth.Path);
        foreach (var t in ours.Tensors.Where(t => t.Name.EndsWith("_exps.weight", StringComparison.Ordinal)))
        {
            Assert.Equal((DType.BF16, 3), (t.Type, t.Shape.Length));
            Assert.Equal(GptOssHfFolder.Floats(synth, t.Name), GptOssHfFolder.Floats(ours, t.Name));
        }
        Assert.Equal(32u, ours.Metadata["general.file_type"]);
    }

    // Every key convert_hf_to_gguf.py writes for this config (TextModel.set_gguf_parameters, GptOssModel's window and expert
    // width; no tokenizer.json here, so no_vocab with the vocabulary size) with its value.
    [Fact]
    public void MetadataIsTheConvertersKeys()
    {
        var (_, output) = Convert(GptOssCheckpoint.Mxfp4, "F16");
        using var ours = GgufFile.Open(output);
        var expected = new Dictionary<string, object>
        {
            ["general.architecture"] = "gpt-oss",
            ["general.type"] = "model",
            ["general.name"] = "Gpt Oss Mxfp4",
            ["general.size_label"] = "8x2.1M",
            ["general.file_type"] = 38u,
            ["general.quantization_version"] = 2u,
            ["gpt-oss.block_count"] = 4u,
            ["gpt-oss.context_length"] = 4096u,
            ["gpt-oss.embedding_length"] = 256u,
            ["gpt-oss.feed_forward_length"] = 256u,
            ["gpt-oss.attention.head_count"] = 4u,
            ["gpt-oss.attention.head_count_kv"] = 2u,
            ["gpt-oss.rope.freq_base"] = 150000f,
            ["gpt-oss.rope.scaling.type"] = "yarn",
            ["gpt-oss.rope.scaling.factor"] = 32f,
            ["gpt-oss.rope.scaling.original_context_length"] = 4096u,
            ["gpt-oss.rope.scaling.yarn_beta_fast"] = 32f,
            ["gpt-oss.rope.scaling.yarn_beta_slow"] = 1f,
            ["gpt-oss.attention.layer_norm_rms_epsilon"] = 1e-5f,
            ["gpt-oss.expert_count"] = 8u,
            ["gpt-oss.expert_used_count"] = 4u,
            ["gpt-oss.attention.key_length"] = 64u,
            ["gpt-oss.attention.value_length"] = 64u,
            ["gpt-oss.attention.sliding_window"] = 8u,
            ["gpt-oss.expert_feed_forward_length"] = 256u,
            ["tokenizer.ggml.model"] = "no_vocab",
            ["gpt-oss.vocab_size"] = 1024u,
        };
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), ours.Metadata.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, value) in expected) Assert.True(value.Equals(ours.Metadata[key]), $"{key}: {ours.Metadata[key]}, expected {value}");
    }

    [Fact]
    public void TheConvertedFileRunsAsTheFolder()
    {
        var (folder, output) = Convert(GptOssCheckpoint.Mxfp4, "F16");
        var ids = DecoderChecks.Ids(20, 5, Vocab);
        using var converted = ModelLoader.Load(output);
        using var original = ModelLoader.Load(folder);
        DecoderChecks.AssertClose(DecoderChecks.Alone(original.RequireDecoder(), ids), DecoderChecks.Alone(converted.RequireDecoder(), ids), 1e-3, "GGUF vs folder");
    }
}
