using System.Text.Json.Nodes;
using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Tensors;
using Moxing.Models.Conversion;
using Moxing.Models.Tests.Decoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// GPT-NeoX, BLOOM, MPT and GPT-BigCode checkpoints (<see cref="TinyHfFolder"/>) give <see cref="DenseReference"/>'s logits, their
/// F32 GGUF conversions the folder's, each family switch (ALiBi, the embedding norm, per-head fused q/k/v, parallel residuals, partial
/// rotary, clip_qkv, learned positions) moves the logits far beyond the tolerance, and chunks and batches give what one call gives.
/// </summary>
public sealed class ClassicFamilyTests
{
    // The variants: GPT-NeoX one block after the other, BLOOM with 6 heads (ALiBi's slopes for a head count that is no power of two),
    // MPT with alibi_bias_max 4, GPT-BigCode with a key/value head per query head (its c_attn per head).
    private static Action<JsonObject>? Variant(string variant) => variant switch
    {
        "sequential" => c => c["use_parallel_residual"] = false,
        "six_heads" => c => (c["hidden_size"], c["n_head"]) = (48, 6),
        "multi_head" => c => c["multi_query"] = false,
        "bias_max_4" => c => c["attn_config"]!["alibi_bias_max"] = 4,
        "" => null,
        _ => throw new ArgumentException($"no variant '{variant}'", nameof(variant)),
    };

    [Theory]
    [InlineData("gpt_neox", "")]
    [InlineData("gpt_neox", "sequential")]
    [InlineData("bloom", "")]
    [InlineData("bloom", "six_heads")]
    [InlineData("mpt", "")]
    [InlineData("mpt", "bias_max_4")]
    [InlineData("gpt_bigcode", "")]
    [InlineData("gpt_bigcode", "multi_head")]
    public void TheFolderMatchesTheReference(string modelType, string variant)
    {
        using var folder = new TinyHfFolder(modelType, edit: Variant(variant));
        DecoderChecks.AssertClose(DenseFamilyTests.Flatten(new DenseReference(folder.Folder).Forward(DenseFamilyTests.Prompt)),
            DenseFamilyTests.Logits(folder.Folder), 1e-4, $"{modelType} {variant}");
    }

    [Theory]
    [InlineData("gpt_neox", "", "parallel")]
    [InlineData("gpt_neox", "", "partial_rotary")]
    [InlineData("gpt_neox", "", "qkv_heads")]
    [InlineData("bloom", "", "alibi")]
    [InlineData("bloom", "", "embedding_norm")]
    [InlineData("bloom", "", "qkv_heads")]
    [InlineData("bloom", "six_heads", "alibi_slopes")]
    [InlineData("mpt", "", "alibi")]
    [InlineData("mpt", "", "clip_qkv")]
    [InlineData("mpt", "bias_max_4", "alibi_bias_max")]
    [InlineData("gpt_bigcode", "", "positions")]
    [InlineData("gpt_bigcode", "multi_head", "qkv_heads")]
    public void DroppingASwitchMovesTheLogitsFarBeyondTheTolerance(string modelType, string variant, string drop)
    {
        using var folder = new TinyHfFolder(modelType, edit: Variant(variant));
        var error = DenseFamilyTests.DroppedSwitchError(folder.Folder, drop);
        Assert.True(error > 1e-3, $"{modelType} {variant} without {drop}: max|Δ|/max|ref| = {error:E2}");
    }

    // llama.cpp's graphs apply the tanh GELU: GPT-NeoX converts with gelu_new to compare exactly (its exact GELU is a 1e-3 matter, as
    // MPT's, whose MptMLP has no other).
    [Theory]
    [InlineData("gpt_neox", "gptneox", 1e-5)]
    [InlineData("gpt_neox", "gptneox", 1e-3)]
    [InlineData("bloom", "bloom", 1e-5)]
    [InlineData("mpt", "mpt", 1e-3)]
    [InlineData("gpt_bigcode", "starcoder", 1e-5)]
    public void TheConvertedGgufMatchesTheFolder(string modelType, string architecture, double tolerance)
    {
        using var folder = new TinyHfFolder(modelType, edit: tolerance == 1e-5 && modelType == "gpt_neox" ? c => c["hidden_act"] = "gelu_new" : null);
        using var gguf = new ConvertedGguf(folder.Folder);
        using (var file = GgufFile.Open(gguf.Path))
        {
            var m = file.Metadata;
            Assert.Equal(architecture, m.GetString("general.architecture"));
            Assert.DoesNotContain(file.Tensors, t => t.Name.Contains("masked_bias", StringComparison.Ordinal));
            switch (architecture)
            {
                case "gptneox":
                    Assert.Equal((4u, true), ((uint)m.GetInt32("gptneox.rope.dimension_count"), m.GetBool("gptneox.use_parallel_residual")));
                    break;
                case "bloom":
                    Assert.NotNull(file.Find("token_embd_norm.bias"));
                    break;
                case "mpt":
                    Assert.Equal((8f, 1f), (m.GetSingle("mpt.attention.max_alibi_bias"), m.GetSingle("mpt.attention.clamp_kqv")));
                    Assert.Null(file.Find("blk.0.attn_norm.bias"));
                    break;
                default:
                    Assert.Equal((1u, 64L), ((uint)m.GetInt32("starcoder.attention.head_count_kv"), file.Find("position_embd.weight")!.Shape[1]));
                    break;
            }
        }
        DecoderChecks.AssertClose(DenseFamilyTests.Logits(folder.Folder), DenseFamilyTests.Logits(gguf.Path), tolerance, $"{modelType} → F32 GGUF");
    }

    // BLOOM's tokenizer.json splits by a class nested in a class (Oniguruma's union), which llama.cpp's bloom pre-tokenizer spells flat:
    // the folder's tokenizer runs it, the conversion names it, and both keep "world" and "!" apart (the merge "d !" never applies).
    [Fact]
    public void BloomsTokenizerSplitsAsTheFolderSaysAndConvertsToLlamaCppsBloom()
    {
        using var folder = new TinyHfFolder("bloom");
        var vocab = new JsonObject();
        for (var i = 0; i < 94; i++) vocab[((char)('!' + i)).ToString()] = i;
        (vocab["Ġ"], vocab["d!"]) = (94, 95);
        var tokenizer = new JsonObject
        {
            ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = vocab, ["merges"] = new JsonArray("d !") },
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = " ?[^(\\s|[.,!?…。，、।۔،])]+" }, ["behavior"] = "Isolated", ["invert"] = false },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false }),
            },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
        };
        File.WriteAllText(Path.Combine(folder.Folder, "tokenizer.json"), tokenizer.ToJsonString());
        // BloomTokenizerFast of its release cleans up spaces when decoding, as llama.cpp's bloom (poro-chat has the same split and does not).
        File.WriteAllText(Path.Combine(folder.Folder, "tokenizer_config.json"), """{"clean_up_tokenization_spaces": true}""");
        using var gguf = new ConvertedGguf(folder.Folder);
        using (var file = GgufFile.Open(gguf.Path)) Assert.Equal("bloom", file.Metadata.GetString("tokenizer.ggml.pre"));
        const string text = "Hello world! (d!)";
        using LoadedModel hf = ModelLoader.Load(folder.Folder), converted = ModelLoader.Load(gguf.Path);
        var ids = hf.RequireTokenizer().Encode(text, addSpecialTokens: false);
        Assert.DoesNotContain(95, ids);
        Assert.Equal(ids, converted.RequireTokenizer().Encode(text, addSpecialTokens: false));
    }

    [Theory]
    [InlineData("gpt_neox")]
    [InlineData("bloom")]
    [InlineData("mpt")]
    [InlineData("gpt_bigcode")]
    public void PrefillInChunksEqualsOneCallAndBatchesEqualEachSequenceAlone(string modelType)
    {
        using var folder = new TinyHfFolder(modelType);
        using var model = ModelLoader.Load(folder.Folder);
        var decoder = model.RequireDecoder();
        DecoderChecks.ChunksEqualOneCallEqualTokenByToken(decoder, DenseFamilyTests.Prompt);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(decoder, 1e-5, DType.F32);
    }

    // llama.cpp's names and keys: the synthetic files load with their family's switches and run batches as each sequence alone.
    [Theory]
    [InlineData("tiny-gptneox", "F16")]
    [InlineData("tiny-gptneox", "Q8_0")]
    [InlineData("tiny-bloom", "F16")]
    [InlineData("tiny-mpt", "F16")]
    [InlineData("tiny-mpt", "Q8_0")]
    [InlineData("tiny-starcoder", "F16")]
    public void TheSynthesizedGgufReadsItsSwitchesAndRunsBatchesAsAlone(string shape, string type)
    {
        using var synth = new SynthesizedModel(shape, type, 3);
        var o = synth.Model.Options;
        switch (o.Architecture)
        {
            case "gptneox":
                Assert.Equal((true, 16, true), (o.ParallelBlock, o.Rope!.RotaryDim, synth.Model.Weights.Layers[0].Attention!.Qkv!.Bias != null));
                break;
            case "bloom":
                Assert.Equal((8f, true), (o.AlibiMaxBias, synth.Model.Weights.EmbeddingNorm != null));
                break;
            case "mpt":
                Assert.Equal((8f, 0.5f, null), (o.AlibiMaxBias, o.QkvClip, synth.Model.Weights.Layers[0].AttentionNorm!.Bias));
                break;
            default:
                Assert.Equal((1, true, null), (o.KvHeadCount, o.LearnedPositions, o.Rope));
                break;
        }
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(synth.Model, 0, DType.F32);
    }

    [Theory]
    [InlineData("bloom", "apply_residual_connection_post_layernorm", "'apply_residual_connection_post_layernorm' is true")]
    [InlineData("mpt", "alibi", "'attn_config.alibi' is false")]
    [InlineData("mpt", "qk_ln", "'attn_config.qk_ln' is true")]
    [InlineData("mpt", "kv_n_heads", "'attn_config.kv_n_heads' is 2")]
    [InlineData("mpt", "no_bias", "'no_bias' is false")]
    [InlineData("mpt", "expansion_ratio", "'expansion_ratio' is 3")]
    public void VariantsTheReferencesRunOtherwiseAreErrorsNamingTheKey(string modelType, string broken, string message)
    {
        using var folder = new TinyHfFolder(modelType, edit: c =>
        {
            switch (broken)
            {
                case "alibi": c["attn_config"]!["alibi"] = false; break;
                case "qk_ln": c["attn_config"]!["qk_ln"] = true; break;
                case "kv_n_heads": c["attn_config"]!["kv_n_heads"] = 2; break;
                case "no_bias": c["no_bias"] = false; break;
                case "expansion_ratio": c["expansion_ratio"] = 3; break;
                default: c[broken] = true; break;
            }
        });
        Assert.Contains(message, Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
    }

    // llama.cpp's starcoder reads 4 × hidden as the MLP width and scales q·k by 1/sqrt(head_dim): other checkpoints run, but do not convert.
    [Theory]
    [InlineData("n_inner", "'n_inner' is 96")]
    [InlineData("scale_attn_weights", "'scale_attn_weights' is false")]
    public void StarCodersLlamaCppCannotExpressAreNotConverted(string key, string message)
    {
        using var folder = new TinyHfFolder("gpt_bigcode", edit: c => c[key] = key == "n_inner" ? 96 : false);
        using (var model = ModelLoader.Load(folder.Folder)) Assert.NotNull(model.RequireDecoder());
        Assert.Contains(message, Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(folder.Folder)).Message);
    }
}
