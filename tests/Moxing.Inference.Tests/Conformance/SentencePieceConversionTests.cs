using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.Safetensors;
using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Core.Tensors;
using Moxing.Models;
using Moxing.Models.Conversion;
using Moxing.Tests;

namespace Moxing.Inference.Tests.Conformance;

/// <summary>
/// Folders with SentencePiece tokenizers and the Phi-3 / Gemma 2 layouts quantized straight to GGUF (convert_hf_to_gguf.py's
/// layout and keys): the tokenizer keeps transformers' ids, and the file computes what the folder computes.
/// </summary>
public sealed class SentencePieceConversionTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-spmconv-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // A tiny llama whose vocabulary is Llama 2's SentencePiece (tokenizer.json only, as the fixture ships it).
    [Fact]
    public void Llama2TokenizerFolderConvertsToAGgufWithTransformersIds()
    {
        const int vocab = 32000;
        using var variant = new ModelVariant("llama-tiny", c => c["vocab_size"] = vocab, t => new(t)
        {
            ["model.embed_tokens.weight"] = Tiled(t["model.embed_tokens.weight"], vocab),
            ["lm_head.weight"] = Tiled(t["lm_head.weight"], vocab),
        });
        foreach (var file in Directory.GetFiles(Fixtures.Path("hf", "tokenizer-files", "llama2")))
            File.Copy(file, Path.Combine(variant.Folder, Path.GetFileName(file)), overwrite: true);
        var path = Convert(variant.Folder, "F16");

        using var converted = ModelLoader.Load(path);
        using var original = ModelLoader.Load(variant.Folder);
        var gguf = converted.RequireTokenizer();
        using var cases = JsonDocument.Parse(File.ReadAllBytes(Fixtures.Path("hf", "tokenizers", "llama2.json")));
        foreach (var c in cases.RootElement.GetProperty("cases").EnumerateArray())
        {
            var text = c.GetProperty("text").GetString()!;
            // llama.cpp always puts "▁" before the text, transformers not when it already starts with a space.
            var expected = text.StartsWith(' ')
                ? original.RequireTokenizer().Encode(" " + text, addSpecialTokens: true)
                : c.GetProperty("ids_with_special").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            Assert.Equal(expected, gguf.Encode(text, addSpecialTokens: true));
        }
        Assert.Equal(1, gguf.BosTokenId);
        Assert.Equal(2, gguf.EosTokenId);
    }

    [Theory]
    [InlineData("llama-tiny", "F32")]
    [InlineData("llama-tiny", "F16")]
    [InlineData("llama-tiny", "Q8_0")]
    public void Phi3FolderConvertsWithFusedProjectionsAndComputesTheSame(string model, string type)
    {
        using var variant = ModelVariant.Phi3(model, ffn: 160);
        UseSentencePieceModelOnly(variant.Folder);
        var path = Convert(variant.Folder, type);
        using (var file = GgufFile.Open(path))
        {
            var m = file.Metadata;
            Assert.Equal("phi3", m.GetString("general.architecture"));
            Assert.Equal(0, m.GetInt32("phi3.attention.sliding_window"));
            Assert.Equal(4096, m.GetInt32("phi3.rope.scaling.original_context_length")); // Phi3Config's default
            Assert.Equal(m.GetInt32("phi3.embedding_length") / m.GetInt32("phi3.attention.head_count"), m.GetInt32("phi3.rope.dimension_count"));
            Assert.False(m.ContainsKey("phi3.attention.key_length"));
            Assert.Equal("llama", m.GetString("tokenizer.ggml.model"));
            Assert.Null(file.Find("blk.0.attn_q.weight"));
            Assert.Equal(2 * m.GetInt32("phi3.feed_forward_length"), file.Find("blk.0.ffn_up.weight")!.Shape[0]);
            Assert.NotNull(file.Find("blk.0.attn_qkv.weight"));
        }
        AssertComputesAsFolder(path, variant.Folder, model, type);
        if (type != "Q8_0") return;
        // Fused or not, the same rows quantize to the same blocks: the llama conversion of the unfused folder agrees.
        using var unfused = ModelVariant.Narrow(model, 160);
        AssertSameLogits(path, Convert(unfused.Folder, type), model, 1e-5);
    }

    // Phi-3.5 / Phi-4-mini (partial rotary) with an original context of 16: LongRoPE's factors become rope_factors_long/short.weight
    // (F32, also in quantized files) and its attention factor a key, as Phi3MiniModel.generate_extra_tensors writes them; the file computes what the
    // folder computes on both sides of the original context (prompts of 1–7 and of 17 and 45 tokens).
    [Theory]
    [InlineData(1.0, "F32")]
    [InlineData(0.75, "F32")]
    [InlineData(1.0, "Q8_0")]
    public void Phi3LongRopeFolderConvertsWithItsFactorTensors(double partialRotaryFactor, string type)
    {
        var rotary = (int)(16 * partialRotaryFactor);
        using var variant = ModelVariant.Phi3("llama-tiny", ffn: 160, c => ModelVariant.LongRope(c, 16, partialRotaryFactor, rotary));
        UseSentencePieceModelOnly(variant.Folder);
        var path = Convert(variant.Folder, type);
        var scaling = JsonNode.Parse(File.ReadAllText(Path.Combine(variant.Folder, "config.json")))!["rope_scaling"]!;
        using (var file = GgufFile.Open(path))
        {
            var m = file.Metadata;
            Assert.Equal(16, m.GetInt32("phi3.rope.scaling.original_context_length"));
            Assert.Equal(rotary, m.GetInt32("phi3.rope.dimension_count"));
            // The converter's sqrt(1 + ln(512 / 16) / ln 16) = 1.5 as float32; no scaling type (Phi3MiniModel writes none).
            Assert.Equal((float)Math.Sqrt(1 + Math.Log(512.0 / 16) / Math.Log(16)), m.GetSingle("phi3.rope.scaling.attn_factor"));
            Assert.False(m.ContainsKey("phi3.rope.scaling.type"));
            foreach (var (name, key) in new[] { ("rope_factors_long.weight", "long_factor"), ("rope_factors_short.weight", "short_factor") })
            {
                var t = file.Find(name)!;
                Assert.Equal(DType.F32, t.Type);
                Assert.Equal([rotary / 2L], t.Shape);
                Assert.Equal(scaling[key]!.AsArray().Select(v => (float)v!.GetValue<double>()).ToArray(), MemoryMarshal.Cast<byte, float>(t.Bytes).ToArray());
            }
        }
        AssertComputesAsFolder(path, variant.Folder, "llama-tiny", type);
    }

    [Theory]
    [InlineData("rope_factors_short.weight", null)]
    [InlineData("rope_factors_long.weight", 7)]
    public void GgufLongRopeFactorsMissingOrOfTheWrongLengthAreClearErrors(string tensor, int? length)
    {
        using var variant = ModelVariant.Phi3("llama-tiny", ffn: 160, c => ModelVariant.LongRope(c, 16, 1.0, 16));
        UseSentencePieceModelOnly(variant.Folder);
        var path = Convert(variant.Folder, "F32");
        var broken = Path.Combine(_dir, "broken.gguf");
        using (var file = GgufFile.Open(path))
        {
            var writer = new GgufWriter();
            foreach (var key in file.Metadata.Keys) writer.Set(key, file.Metadata[key]);
            foreach (var t in file.Tensors.Where(t => t.Name != tensor)) writer.AddTensor(t);
            if (length is { } n) writer.AddF32(tensor, [n], Enumerable.Repeat(1f, n).ToArray());
            writer.Write(broken);
        }
        var e = Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(broken));
        Assert.Contains($"'{tensor}'", e.Message);
        Assert.Contains(length is null ? "missing" : "[8]", e.Message);
    }

    [Theory]
    [InlineData("llama-tiny", 16, "F32")]
    [InlineData("llama-tiny", 16, "F16")]
    [InlineData("llama-tiny", 16, "Q8_0")]
    public void Gemma2FolderConvertsWithItsNormsAndKeysAndComputesTheSame(string model, int headDim, string type)
    {
        using var variant = ModelVariant.Gemma2(model, queryPreAttnScalar: headDim, ffn: 160);
        UseSentencePieceModelOnly(variant.Folder);
        var path = Convert(variant.Folder, type);
        using (var file = GgufFile.Open(path))
        {
            var m = file.Metadata;
            Assert.Equal("gemma2", m.GetString("general.architecture"));
            Assert.Equal(2f, m.GetSingle("gemma2.attn_logit_softcapping"));
            Assert.Equal(3f, m.GetSingle("gemma2.final_logit_softcapping"));
            Assert.Equal(4, m.GetInt32("gemma2.attention.sliding_window"));
            Assert.Equal(headDim, m.GetInt32("gemma2.attention.key_length"));
            Assert.False(m.ContainsKey("gemma2.rope.freq_base"));
            Assert.False(m.GetBool("tokenizer.ggml.add_space_prefix"));
            Assert.Null(file.Find("output.weight"));
            // Gemma's RMSNorm scales by 1 + w; llama.cpp's by w.
            using var hf = SafetensorsFile.Open(Path.Combine(variant.Folder, "model.safetensors"));
            foreach (var (hfName, ggufName) in new[] { ("model.layers.1.pre_feedforward_layernorm.weight", "blk.1.ffn_norm.weight"),
                         ("model.layers.0.post_feedforward_layernorm.weight", "blk.0.post_ffw_norm.weight"), ("model.norm.weight", "output_norm.weight") })
            {
                var plusOne = MemoryMarshal.Cast<byte, float>(hf.Find(hfName)!.Bytes).ToArray().Select(v => v + 1).ToArray();
                Assert.Equal(plusOne, MemoryMarshal.Cast<byte, float>(file.Find(ggufName)!.Bytes).ToArray());
            }
        }
        AssertComputesAsFolder(path, variant.Folder, model, type);
    }

    // The converter adds 1 to an F16 norm in F16 (one rounding), then writes it as F32.
    [Fact]
    public void Gemma2F16NormsGainOneInF16()
    {
        using var variant = ModelVariant.Gemma2("llama-tiny", queryPreAttnScalar: 16);
        UseSentencePieceModelOnly(variant.Folder);
        var weights = Path.Combine(variant.Folder, "model.safetensors");
        var halves = new SafetensorsWriter();
        float[] norm;
        using (var f32 = SafetensorsFile.Open(weights))
        {
            foreach (var t in f32.Tensors)
                halves.Add(t.Name, DType.F16, t.Shape, MemoryMarshal.AsBytes(MemoryMarshal.Cast<byte, float>(t.Bytes).ToArray().Select(v => (Half)v).ToArray().AsSpan()).ToArray());
            norm = MemoryMarshal.Cast<byte, float>(f32.Find("model.layers.0.input_layernorm.weight")!.Bytes).ToArray();
        }
        halves.Write(weights);
        using var input = new HfGgufInput(variant.Folder);
        Assert.Equal(DType.F32, input.Tensors.Single(t => t.Name == "blk.0.attn_norm.weight").Type);
        float[] converted = [];
        input.Read("blk.0.attn_norm.weight", t => converted = MemoryMarshal.Cast<byte, float>(t.Bytes).ToArray());
        Assert.Equal(norm.Select(v => (float)(Half)((float)(Half)v + 1)).ToArray(), converted);
    }

    // llama.cpp derives Gemma 2's query scale from the shape; a folder whose query_pre_attn_scalar differs cannot be written.
    [Fact]
    public void Gemma2QueryScalarLlamaCppWouldNotUseIsRefused()
    {
        using var variant = ModelVariant.Gemma2("llama-tiny", queryPreAttnScalar: 24);
        UseSentencePieceModelOnly(variant.Folder);
        var e = Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(variant.Folder));
        Assert.Contains("query_pre_attn_scalar", e.Message);
    }

    // Gemma 3: (1 + w) on every norm, q/k norms included, both RoPE bases and the full layers' scaling, the window and its
    // pattern (2 here, not llama.cpp's default 6); the file computes what the folder computes, multimodal folders included.
    [Theory]
    [InlineData("F32", null)]
    [InlineData("Q8_0", null)]
    [InlineData("F32", "model.language_model.")]
    public void Gemma3FolderConvertsWithItsNormsAndKeysAndComputesTheSame(string type, string? multimodalPrefix)
    {
        using var variant = ModelVariant.Gemma3("llama-tiny", queryPreAttnScalar: 16, ffn: 160);
        UseSentencePieceModelOnly(variant.Folder);
        var path = Convert(variant.Folder, type);
        string? nested = null;
        if (multimodalPrefix != null)
        {
            nested = Path.Combine(_dir, "gemma3-multimodal");
            Directory.CreateDirectory(nested);
            foreach (var file in Directory.GetFiles(variant.Folder)) File.Copy(file, Path.Combine(nested, Path.GetFileName(file)));
        }
        using (var file = GgufFile.Open(path))
        {
            var m = file.Metadata;
            Assert.Equal("gemma3", m.GetString("general.architecture"));
            Assert.Equal(4, m.GetInt32("gemma3.attention.sliding_window"));
            Assert.Equal(2, m.GetInt32("gemma3.attention.sliding_window_pattern"));
            Assert.Equal((10000f, 100f), (m.GetSingle("gemma3.rope.freq_base"), m.GetSingle("gemma3.rope.freq_base_swa")));
            Assert.Equal(("linear", 8f), (m.GetString("gemma3.rope.scaling.type"), m.GetSingle("gemma3.rope.scaling.factor")));
            Assert.Equal(16, m.GetInt32("gemma3.attention.key_length"));
            Assert.False(m.ContainsKey("gemma3.final_logit_softcapping"));
            Assert.False(m.GetBool("tokenizer.ggml.add_space_prefix"));
            Assert.Null(file.Find("output.weight"));
            using var hf = SafetensorsFile.Open(Path.Combine(variant.Folder, "model.safetensors"));
            foreach (var (hfName, ggufName) in new[] { ("model.layers.1.self_attn.q_norm.weight", "blk.1.attn_q_norm.weight"),
                         ("model.layers.0.self_attn.k_norm.weight", "blk.0.attn_k_norm.weight"), ("model.layers.1.pre_feedforward_layernorm.weight", "blk.1.ffn_norm.weight") })
            {
                var plusOne = MemoryMarshal.Cast<byte, float>(hf.Find(hfName)!.Bytes).ToArray().Select(v => v + 1).ToArray();
                Assert.Equal(plusOne, MemoryMarshal.Cast<byte, float>(file.Find(ggufName)!.Bytes).ToArray());
            }
        }
        AssertComputesAsFolder(path, variant.Folder, "llama-tiny", type);
        if (nested == null) return;
        ModelVariant.NestAsGemma3Multimodal(nested, multimodalPrefix!);
        var nestedPath = Convert(nested, type);
        using var converted = GgufFile.Open(nestedPath);
        using var flat = GgufFile.Open(path);
        Assert.Equal(flat.Tensors.Select(t => t.Name).Order(), converted.Tensors.Select(t => t.Name).Order());
        AssertSameLogits(path, nestedPath, "llama-tiny", 0);
    }

    // llama.cpp derives Gemma 3's query scale from the shape and has one window pattern rule; what it cannot express is refused.
    [Fact]
    public void Gemma3FoldersLlamaCppWouldComputeDifferentlyAreRefused()
    {
        using (var variant = ModelVariant.Gemma3("llama-tiny", queryPreAttnScalar: 24))
        {
            UseSentencePieceModelOnly(variant.Folder);
            Assert.Contains("query_pre_attn_scalar", Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(variant.Folder)).Message);
        }
        using (var variant = ModelVariant.Gemma3("llama-tiny", queryPreAttnScalar: 16, editConfig: c => c["layer_types"] = new JsonArray("full_attention", "sliding_attention")))
        {
            UseSentencePieceModelOnly(variant.Folder);
            Assert.Contains("layer_types", Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(variant.Folder)).Message);
        }
    }

    private string Convert(string folder, string type)
    {
        var path = Path.Combine(_dir, $"{Path.GetFileName(folder)}.{type}.gguf");
        using var input = new HfGgufInput(folder);
        GgufQuantizer.Quantize(input, path, QuantizationMix.Find(type)!, null, WorkerPool.Shared);
        return path;
    }

    // A checkpoint that ships only SentencePiece's tokenizer.model (written here: Llama-2-like pieces, one per embedding row).
    private static void UseSentencePieceModelOnly(string folder)
    {
        var vocab = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!["vocab_size"]!.GetValue<int>();
        File.Delete(Path.Combine(folder, "tokenizer.json"));
        File.Delete(Path.Combine(folder, "tokenizer_config.json"));
        File.WriteAllBytes(Path.Combine(folder, "tokenizer.model"), SentencePieceModelFile.Serialize(SentencePieceModelFile.LlamaLike(vocab)));
    }

    // In the folder's own type the file computes what the folder computes (float rounding); in another type it computes
    // what its own weights, decoded to F32, compute, within tests/fixtures/gguf/README.md's bounds (the F32 cases check the layout).
    private void AssertComputesAsFolder(string gguf, string folder, string model, string type)
    {
        if (type == "F32")
        {
            AssertSameLogits(folder, gguf, model, 1e-4);
            return;
        }
        var decoded = Path.ChangeExtension(gguf, ".decoded.gguf");
        using (var file = GgufFile.Open(gguf)) GgufQuantizer.Quantize(file, decoded, QuantizationMix.Find("F32")!, null, WorkerPool.Shared);
        var (a, c) = LogitErrors(decoded, gguf, model);
        output.WriteLine($"{model} → {type}: a = {a:E2}, c = {c:E2} (vs its weights in F32); a = {LogitErrors(folder, gguf, model).A:E2} vs the folder");
        Assert.True(a <= (type == "F16" ? 1e-3 : 0.15), $"a = {a:E2}");
        Assert.True(c <= 0.05, $"c = {c:E2}");
    }

    private void AssertSameLogits(string expectedModel, string actualModel, string model, double bound)
    {
        var (a, _) = LogitErrors(expectedModel, actualModel, model);
        output.WriteLine($"{Path.GetFileName(actualModel)} vs {Path.GetFileName(expectedModel)}: a = {a:E2}");
        Assert.True(a <= bound, $"a = {a:E2}");
    }

    // Worst a and c over the fixture model's reference prompts, all positions.
    private static (double A, double C) LogitErrors(string expectedModel, string actualModel, string model)
    {
        using var expected = ModelLoader.Load(expectedModel);
        using var actual = ModelLoader.Load(actualModel);
        double a = 0, c = 0;
        foreach (var p in ReferenceRun.Read(Fixtures.Path("hf", "models", model, "reference.safetensors"), expected.RequireDecoder().Options.VocabSize))
        {
            var reference = ReferenceRun.Logits(expected.RequireDecoder(), p with { AllPositions = true });
            var ours = ReferenceRun.Logits(actual.RequireDecoder(), p with { AllPositions = true });
            a = Math.Max(a, ReferenceRun.RelativeMaxError(reference, ours));
            c = Math.Max(c, ReferenceRun.RelativeP99Error(reference, ours));
        }
        return (a, c);
    }

    private static (long[] Shape, float[] Values) Tiled((long[] Shape, float[] Values) t, int rows)
    {
        var width = (int)t.Shape[1];
        var values = new float[rows * width];
        for (var r = 0; r < rows; r++) Array.Copy(t.Values, r % (int)t.Shape[0] * width, values, r * width, width);
        return ([rows, width], values);
    }
}
