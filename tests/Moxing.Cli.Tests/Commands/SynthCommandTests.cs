using Moxing.Tests;
using Moxing.Cli;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Tensors;
using Moxing.Inference.Sessions;
using Moxing.Models;
using Moxing.Models.Synthesis;
using Moxing.Text.Templates;

namespace Moxing.Cli.Tests.Commands;

public sealed class SynthCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-synth-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    private string Synth(string like, string type, int seed = 1)
    {
        var path = Path.Combine(_dir, $"{like}-{type}-{seed}.gguf");
        var (code, _, err) = Run("synth", "--like", like, "--type", type, "-o", path, "--seed", seed.ToString());
        Assert.True(code == 0, err);
        return path;
    }

    [Theory]
    [InlineData("tiny-qwen2", "F16")]
    [InlineData("tiny-qwen2", "Q8_0")]
    [InlineData("tiny-qwen2", "Q4_0")]
    [InlineData("tiny-qwen2", "Q4_K_M")]
    [InlineData("tiny-qwen2", "Q6_K")]
    [InlineData("tiny-llama", "Q4_K_M")]
    [InlineData("tiny-qwen3", "Q8_0")]
    [InlineData("tiny-gemma3", "Q8_0")]
    [InlineData("tiny-qwen3moe", "Q4_K_M")]
    [InlineData("tiny-olmoe", "Q8_0")]
    [InlineData("tiny-mixtral", "F16")]
    [InlineData("tiny-gpt-oss", "Q8_0")]
    [InlineData("tiny-granite", "Q4_K_M")]
    [InlineData("tiny-olmo2", "Q8_0")]
    [InlineData("tiny-gemma", "Q6_K")]
    [InlineData("tiny-phi2", "Q4_0")]
    [InlineData("tiny-starcoder2", "Q8_0")]
    [InlineData("tiny-command-r", "Q8_0")]
    [InlineData("tiny-cohere2", "Q4_K_M")]
    [InlineData("tiny-stablelm", "Q6_K")]
    [InlineData("tiny-granitemoe", "Q4_K_M")]
    [InlineData("tiny-phimoe", "Q8_0")]
    [InlineData("tiny-glm4", "Q4_K_M")]
    [InlineData("tiny-chatglm", "Q8_0")]
    [InlineData("tiny-nemotron", "Q8_0")]
    [InlineData("tiny-olmo", "Q4_0")]
    [InlineData("tiny-minicpm", "Q6_K")]
    [InlineData("tiny-ernie4_5", "Q8_0")]
    [InlineData("tiny-ernie4_5-moe", "Q4_K_M")]
    [InlineData("tiny-llama4", "Q8_0")]
    [InlineData("tiny-llama4-interleaved", "Q4_K_M")]
    [InlineData("tiny-deepseek-v2", "Q8_0")]
    [InlineData("tiny-deepseek-v3", "Q4_K_M")]
    [InlineData("tiny-seed_oss", "Q8_0")]
    [InlineData("tiny-exaone4", "Q4_0")]
    [InlineData("tiny-hunyuan-dense", "Q6_K")]
    [InlineData("tiny-arcee", "Q4_K_M")]
    [InlineData("tiny-mistral3", "Q8_0")]
    [InlineData("tiny-apertus", "Q8_0")]
    [InlineData("tiny-glm4moe", "Q4_K_M")]
    [InlineData("tiny-dots1", "Q8_0")]
    [InlineData("tiny-hunyuan-moe", "Q4_K_M")]
    [InlineData("tiny-bailingmoe", "Q8_0")]
    [InlineData("tiny-bailingmoe2", "Q4_K_M")]
    public void SynthesizedModelLoadsAndGivesFiniteLogits(string like, string type)
    {
        var path = Synth(like, type);
        using var model = ModelLoader.Load(path);
        var decoder = model.RequireDecoder();
        Assert.Null(model.Tokenizer);
        var shape = SynthShape.Find(like)!;
        Assert.Equal(shape.Vocab, decoder.Options.VocabSize);
        var session = new InferenceSession(decoder, 8);
        var logits = session.Prefill([1, 2, 3, 4]).ToArray();
        Assert.Equal(shape.Vocab, logits.Length);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
        // Random weights must still give distinct logits, not a constant.
        Assert.True(logits.Max() - logits.Min() > 1e-3f);
        var next = session.Decode(5).ToArray();
        Assert.All(next, v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData("tiny-bert", "Q4_K_M", "bert", 1)]
    [InlineData("tiny-nomic-bert", "Q8_0", "nomic-bert", 1)]
    [InlineData("tiny-xlm-roberta", "F16", "bert", 2)]
    public void SynthesizedEncoderIsWrittenAsLlamaCppsConverterWritesIt(string like, string type, string architecture, uint pooling)
    {
        var path = Synth(like, type);
        using (var file = Core.Formats.Gguf.GgufFile.Open(path))
        {
            var m = file.Metadata;
            Assert.Equal(architecture, m.GetString("general.architecture"));
            Assert.False(m.GetBool($"{architecture}.attention.causal"));
            Assert.Equal(pooling, m[$"{architecture}.pooling_type"]);
            Assert.Equal(Core.Tensors.DType.F32, file.Find("token_types.weight")!.Type);
            Assert.Equal(architecture == "bert", file.Find("position_embd.weight") != null);
        }
        var result = CliRunner.Json("embed", path, "--ids", "2,40,50,3");
        var embedding = result["embedding"]!.AsArray().Select(v => (double)v!).ToArray();
        Assert.Equal(SynthShape.Find(like)!.Hidden, embedding.Length);
        Assert.Equal(1, Math.Sqrt(embedding.Sum(v => v * v)), 4);
    }

    [Theory]
    [InlineData("tiny-qwen2vl", Moxing.Models.Vision.VisionProjector.Qwen2Vl)]
    [InlineData("tiny-qwen25vl", Moxing.Models.Vision.VisionProjector.Qwen25Vl)]
    public void QwenVlShapesWriteTheirTowerByDefault(string like, Moxing.Models.Vision.VisionProjector expected)
    {
        var (path, projector) = (Path.Combine(_dir, like + ".gguf"), Path.Combine(_dir, like + "-mmproj.gguf"));
        var (code, _, err) = Run("synth", "--like", like, "--type", "F16", "-o", path, "--words", "--mmproj", projector);
        Assert.True(code == 0, err);
        using var model = ModelLoader.Load(path, projector);
        Assert.Equal(expected, model.Vision!.Options.Projector);
        Assert.Equal(expected == Moxing.Models.Vision.VisionProjector.Qwen25Vl ? 2 : 0, model.Vision.Options.FullAttentionEvery);
        Assert.NotNull(model.RequireTokenizer().TokenToId(Moxing.Models.Vision.ImagePrompt.ImagePad));
    }

    [Fact]
    public void ShowReportsTheExpertsOfASynthesizedMixture()
    {
        var path = Synth("tiny-olmoe", "Q8_0");
        var (code, output, err) = Run("show", path);
        Assert.True(code == 0, err);
        Assert.Contains("experts         8 per layer, 3 used per token, 256 wide", output);
        (code, output, err) = Run("show", path, "--json");
        Assert.True(code == 0, err);
        Assert.Contains("\"experts_used\": 3", output);
    }

    [Fact]
    public void ShowReportsGranitesMultipliers()
    {
        var path = Synth("tiny-granite", "Q8_0");
        var (code, output, err) = Run("show", path);
        Assert.True(code == 0, err);
        Assert.Contains("multipliers     embedding ×12, residual ×0.22, attention ×0.015625, logits ÷8", output);
        (code, output, err) = Run("show", path, "--json");
        Assert.True(code == 0, err);
        Assert.Contains("\"logit_divisor\": 8", output);
    }

    [Theory]
    [InlineData("tiny-lfm2", "recurrent       4 short-convolution layers of 3 taps, 2 attention layers", "short_conv", 4, 4 * 2 * 256 * 4)]
    [InlineData("tiny-granitehybrid", "recurrent       4 Mamba2 layers (8 heads of 64, state 32, 2 groups, 4 taps), 2 attention layers", "mamba2", 4, 4 * (3 * 640 + 512 * 32) * 4)]
    // per Mamba 1 layer: 3 conv taps over 512 channels and a 512 × 16 state
    [InlineData("tiny-jamba", "recurrent       7 Mamba 1 layers (512 channels, state 16, time-step rank 32, 4 taps), 1 attention layers", "mamba", 7, 7 * (3 * 512 + 512 * 16) * 4)]
    // per DeltaNet layer: 3 conv taps over q, k, v (2 · 64 + 128) and 4 value heads' 32 × 32 states
    [InlineData("tiny-qwen35", "recurrent       6 Gated DeltaNet layers (2 key heads of 32, 4 value heads of 32, 4 taps), 2 attention layers", "gated_deltanet", 6, 6 * (3 * (2 * 64 + 128) + 4 * 32 * 32) * 4)]
    public void ShowReportsTheRecurrentLayersAndTheirState(string like, string line, string mixer, int layers, int bytes)
    {
        var path = Synth(like, "Q8_0");
        var (code, output, err) = Run("show", path);
        Assert.True(code == 0, err);
        Assert.Contains(line, output);
        var json = CliRunner.Json("show", path, "--json");
        Assert.Equal((mixer, layers, bytes), ((string)json["recurrent_mixer"]!, (int)json["recurrent_layers"]!, (int)json["recurrent_state_bytes"]!));
    }

    [Fact]
    public void VocabFromCopiesTheTokenizerSoTheFileServesText()
    {
        var source = Fixtures.Path("gguf", "qwen2-tiny.Q8_0.gguf");
        var path = Path.Combine(_dir, "with-vocab.gguf");
        var (code, _, err) = Run("synth", "--like", "tiny-qwen2", "--type", "Q8_0", "-o", path, "--vocab-from", source);
        Assert.True(code == 0, err);
        using var model = ModelLoader.Load(path);
        using var reference = ModelLoader.Load(source);
        var text = "Hello world, synthetic weights";
        Assert.Equal(reference.RequireTokenizer().Encode(text, addSpecialTokens: false), model.RequireTokenizer().Encode(text, addSpecialTokens: false));
        Assert.Equal(reference.EosTokenIds, model.EosTokenIds);
        Assert.NotNull(model.ChatTemplates);
    }

    [Fact]
    public void WordsGiveAVocabularyWhoseEveryTokenIsText()
    {
        var path = Path.Combine(_dir, "words.gguf");
        var (code, _, err) = Run("synth", "--like", "tiny-qwen2", "--type", "Q8_0", "-o", path, "--words");
        Assert.True(code == 0, err);
        using var model = ModelLoader.Load(path);
        var tokenizer = model.RequireTokenizer();
        Assert.Equal(1024, tokenizer.VocabSize);
        var text = "Hello world, synthetic weights: 42 {x}!\nnext line";
        var ids = tokenizer.Encode(text, addSpecialTokens: false);
        Assert.Equal(text, tokenizer.Decode(ids, skipSpecialTokens: true));
        // letters merge into the two-letter pieces the tiny vocabulary has room for
        Assert.True(ids.Length < text.Length, $"{ids.Length} tokens for {text.Length} characters");
        for (var id = 0; id < tokenizer.VocabSize; id++)
            Assert.DoesNotContain('\uFFFD', tokenizer.Decode([id], skipSpecialTokens: true));
        Assert.Equal(tokenizer.TokenToId("<|im_end|>"), model.EosTokenIds.Single());
        var session = new InferenceSession(model.RequireDecoder(), 64);
        var prompt = tokenizer.Encode("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", addSpecialTokens: false);
        var logits = session.Prefill([.. prompt]).ToArray();
        Assert.Equal(1024, logits.Length);
        Assert.Contains("<|im_start|>", model.ChatTemplates!.Templates[ChatTemplateSource.DefaultName]);
    }

    [Fact]
    public void WordsNeedsRoomForItsCharacterPieces()
    {
        Assert.Throws<Moxing.Text.Tokenization.TokenizerException>(() => Moxing.Text.Tokenization.Gguf.WordVocabulary.Metadata(100));
        var (code, _, err) = Run("synth", "--like", "tiny-qwen2", "--type", "Q8_0", "-o", Path.Combine(_dir, "x.gguf"), "--words",
            "--vocab-from", Fixtures.Path("gguf", "qwen2-tiny.Q8_0.gguf"));
        Assert.NotEqual(0, code);
        Assert.Contains("exclude", err);
    }

    [Fact]
    public void VocabFromRejectsAVocabularyOfAnotherSize()
    {
        var (code, _, err) = Run("synth", "--like", "tiny-qwen2", "--type", "Q8_0", "-o", Path.Combine(_dir, "x.gguf"),
            "--vocab-from", Fixtures.Path("gguf", "qwen3-tiny-realvocab.Q8_0.gguf"));
        Assert.Equal(1, code);
        Assert.Contains("151936 tokens", err);
        Assert.Contains("1024", err);
    }

    [Fact]
    public void F32KeepsEveryMatrixInFloat32AndTheF16FilesWeightsUnrounded()
    {
        var f32 = Synth("tiny-gemma3n", "F32");
        using (var file = GgufFile.Open(f32))
        {
            Assert.Equal(0, file.Metadata.GetInt32("general.file_type"));
            Assert.False(file.Metadata.TryGetInt32("general.quantization_version", out _));
            foreach (var name in new[] { "token_embd.weight", "per_layer_token_embd.weight", "altup_proj.weight", "blk.0.attn_q.weight", "blk.21.laurel_r.weight" })
                Assert.Equal(DType.F32, file.Find(name)!.Type);
        }
        // Same seed, same random stream: the F16 file holds these weights rounded, so the two models' logits stay close.
        float[] Logits(string path)
        {
            using var model = ModelLoader.Load(path);
            return new InferenceSession(model.RequireDecoder(), 8).Prefill([1, 2, 3, 4]).ToArray();
        }
        var (full, half) = (Logits(f32), Logits(Synth("tiny-gemma3n", "F16")));
        var gap = full.Zip(half, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(gap is > 0 and < 0.1f, $"F32 and F16 logits differ by {gap}");
    }

    [Fact]
    public void QuantizedMixFollowsLlamaQuantize()
    {
        using var file = GgufFile.Open(Synth("tiny-qwen2", "Q4_K_M"));
        Assert.Equal("qwen2", file.Metadata.GetString("general.architecture"));
        Assert.True(file.Metadata.TryGetString("tokenizer.ggml.model", out var vocab) && vocab == "no_vocab");
        DType TypeOf(string name) => (file.Find(name) ?? throw new Xunit.Sdk.XunitException($"{name} missing")).Type;
        // Tied embeddings are quantized as the output: Q6_K. use_more_bits over 4 layers picks layers 2 and 3.
        Assert.Equal(DType.Q6_K, TypeOf("token_embd.weight"));
        Assert.Null(file.Find("output.weight"));
        Assert.Equal(DType.Q4_K, TypeOf("blk.0.ffn_down.weight"));
        Assert.Equal(DType.Q4_K, TypeOf("blk.1.attn_v.weight"));
        Assert.Equal(DType.Q6_K, TypeOf("blk.2.ffn_down.weight"));
        Assert.Equal(DType.Q6_K, TypeOf("blk.3.attn_v.weight"));
        Assert.Equal(DType.Q4_K, TypeOf("blk.3.attn_q.weight"));
        Assert.Equal(DType.F32, TypeOf("blk.0.attn_norm.weight"));
        Assert.Equal(DType.F32, TypeOf("blk.0.attn_q.bias"));
        Assert.Equal([256L, 512L], file.Find("blk.0.ffn_down.weight")!.Shape.ToArray());
    }

    [Fact]
    public void RowsThatAreNotWholeSuperBlocksFallBackAsLlamaQuantizeDoes()
    {
        var q4km = SynthFileType.Find("Q4_K_M")!;
        // Qwen2.5-0.5B: 896 inputs is not a multiple of 256, so Q4_K becomes Q5_0, Q6_K becomes Q8_0.
        Assert.Equal(DType.Q5_0, q4km.TypeFor("attn_q", 0, 24, 896));
        Assert.Equal(DType.Q8_0, q4km.TypeFor("attn_v", 0, 24, 896));
        Assert.Equal(DType.Q8_0, q4km.TypeFor("output", 0, 24, 896));
        Assert.Equal(DType.Q6_K, q4km.TypeFor("ffn_down", 0, 24, 4864));
        Assert.Equal(DType.Q4_K, q4km.TypeFor("ffn_down", 3, 24, 4864));
        Assert.Equal(DType.Q6_K, SynthFileType.Find("Q4_0")!.TypeFor("output", 0, 16, 2048));
        Assert.Equal(DType.Q8_0, SynthFileType.Find("Q8_0")!.TypeFor("output", 0, 16, 2048));
        int[] more = [0, 1, 2, 5, 8, 11, 14, 17, 20, 21, 22, 23];
        for (var i = 0; i < 24; i++) Assert.Equal(more.Contains(i), SynthFileType.UseMoreBits(i, 24));
    }

    [Theory]
    [InlineData("llama-k256.Q4_K_M.gguf", "Q4_K_M")]
    [InlineData("llama-k256.Q4_0.gguf", "Q4_0")]
    [InlineData("llama-k256.Q6_K.gguf", "Q6_K")]
    [InlineData("llama-k256.Q8_0.gguf", "Q8_0")]
    [InlineData("llama-tiny.Q4_K_M.gguf", "Q4_K_M")]
    [InlineData("qwen2-tiny.Q4_K_M.gguf", "Q4_K_M")]
    [InlineData("qwen2-tiny.Q4_0.gguf", "Q4_0")]
    public void TypePlanMatchesFilesLlamaQuantizeWrote(string fixture, string type)
    {
        using var file = GgufFile.Open(Moxing.Tests.Fixtures.Path("gguf", fixture));
        var plan = SynthFileType.Find(type)!;
        var tied = file.Find("output.weight") == null;
        var layers = 0;
        while (file.Find($"blk.{layers}.attn_norm.weight") != null) layers++;
        var checkedCount = 0;
        foreach (var t in file.Tensors)
        {
            if (t.Shape.Length != 2) continue;
            var parts = t.Name.Split('.');
            var (role, layer) = parts[0] == "blk" ? (parts[2], int.Parse(parts[1])) : (parts[0], 0);
            if (role == "token_embd" && tied) role = "output";
            Assert.True(plan.TypeFor(role, layer, layers, t.RowLength) == t.Type, $"{fixture} {t.Name}: planned {plan.TypeFor(role, layer, layers, t.RowLength)}, file has {t.Type}");
            checkedCount++;
        }
        Assert.True(checkedCount > 4 * layers);
    }

    [Fact]
    public void QwenThreeHasQkNormsAndHeadDimension()
    {
        using var file = GgufFile.Open(Synth("tiny-qwen3", "F16"));
        Assert.Equal(DType.F32, file.Find("blk.0.attn_q_norm.weight")!.Type);
        Assert.Equal(DType.F16, file.Find("blk.0.attn_q.weight")!.Type);
        Assert.Equal([512L, 256L], file.Find("blk.0.attn_q.weight")!.Shape.ToArray());
        Assert.Null(file.Find("blk.0.attn_q.bias"));
    }

    [Fact]
    public void LlamaCarriesLlama3RopeFactors()
    {
        using var file = GgufFile.Open(Synth("tiny-llama", "Q8_0"));
        var factors = new float[32];
        Moxing.Core.Quantization.Dequantizer.Dequantize(DType.F32, file.Find("rope_freqs.weight")!.Bytes, factors);
        Assert.Equal(1f, factors[0]);
        Assert.Equal(32f, factors[^1]);
    }

    [Fact]
    public void SameSeedSameFileOtherSeedOtherWeights()
    {
        var a = File.ReadAllBytes(Synth("tiny-qwen2", "Q4_0", 7));
        var b = File.ReadAllBytes(Synth("tiny-qwen2", "Q4_0", 7));
        var c = File.ReadAllBytes(Synth("tiny-qwen2", "Q4_0", 8));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Theory]
    [InlineData("--like", "gpt-9", "--type", "F16")]
    [InlineData("--like", "qwen2.5-0.5b", "--type", "Q3_K")]
    [InlineData("--type", "F16")]
    public void BadArgumentsAreUsageErrors(params string[] args)
    {
        var (code, _, err) = Run(["synth", .. args, "-o", Path.Combine(_dir, "x.gguf")]);
        Assert.NotEqual(0, code);
        Assert.NotEmpty(err);
    }
}
