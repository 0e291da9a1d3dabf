using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Quantization;
using Moxing.Core.Tensors;
using Moxing.Text.Tokenization.Gguf;

namespace Moxing.Models.Synthesis;

/// <summary>
/// Writes a GGUF with random weights and the tensor names, shapes, types and metadata llama.cpp writes for a real model
/// (converter, then llama-quantize), for benchmarking without downloading weights.
/// </summary>
public static partial class SyntheticModelWriter
{
    // Weights are uniform with this standard deviation, small enough that a forward pass stays finite.
    private const float WeightSpread = 0.02f;

    /// <summary>
    /// Builds the file's tensors and metadata into a writer (which holds every tensor's bytes in memory). With
    /// <paramref name="tokenizer"/> (tokenizer.* keys: <see cref="TokenizerOf"/> or <see cref="WordVocabulary"/>), the
    /// file can serve text; its token count must equal the shape's vocabulary.
    /// </summary>
    public static GgufWriter Build(SynthShape shape, SynthFileType fileType, int seed, IReadOnlyList<KeyValuePair<string, object>>? tokenizer = null)
    {
        var random = new Random(seed);
        var w = new GgufWriter();
        var arch = shape.Architecture;
        w.Set("general.architecture", arch);
        w.Set("general.name", $"synthetic {shape.Name} {fileType.Name}");
        w.Set("general.file_type", fileType.FileTypeId);
        if (fileType.Base is not (DType.F32 or DType.F16 or DType.BF16)) w.Set("general.quantization_version", 2u);
        if (tokenizer != null) SetTokenizer(tokenizer, shape, w);
        // llama.cpp's marker for a model without a tokenizer; it then sizes the vocabulary from {arch}.vocab_size.
        else w.Set("tokenizer.ggml.model", "no_vocab");
        w.Set($"{arch}.vocab_size", (uint)shape.Vocab);
        if (shape.Encoder) return AddEncoder(w, random, shape, fileType);
        w.Set($"{arch}.context_length", (uint)shape.Context);
        w.Set($"{arch}.embedding_length", (uint)shape.Hidden);
        var nextN = shape.Routing?.NextN ?? 0;
        w.Set($"{arch}.block_count", (uint)(shape.Layers + nextN));
        w.Set($"{arch}.feed_forward_length", (uint)shape.FeedForward);
        w.Set($"{arch}.attention.head_count", (uint)shape.Heads);
        w.Set($"{arch}.attention.head_count_kv", (uint)shape.KvHeads);
        // PhiMoeModel writes its LayerNorms' epsilon under the RMS key.
        w.Set($"{arch}.attention.{(shape.LayerNorms && !shape.PhiMoe ? "layer_norm_epsilon" : "layer_norm_rms_epsilon")}", shape.NormEps);
        // NemotronModel writes norm_eps as the RMS epsilon too (TextModel's key); OlmoModel its clip_qkv as clamp_kqv.
        if (arch == "nemotron") w.Set($"{arch}.attention.layer_norm_rms_epsilon", shape.NormEps);
        if (shape.QkvClip > 0) w.Set($"{arch}.attention.clamp_kqv", shape.QkvClip);
        if (shape.Classic) return AddClassic(w, random, shape, fileType);
        // GemmaModel, Phi2Model, FalconModel and StableLMModel write no RoPE base (llama.cpp's default 10000 is theirs); Phi2Model,
        // StableLMModel, Glm4Model and NemotronModel their rotated dimensions (Nemotron's scaling type none), StableLMModel use_parallel_residual.
        if (arch is not ("gemma" or "phi2" or "falcon" or "stablelm")) w.Set($"{arch}.rope.freq_base", shape.RopeBase);
        if (shape.DeepSeek is { } deepSeek) return AddDeepSeek(w, random, seed, shape, deepSeek, fileType);
        if (arch is "lfm2" or "lfm2moe") return AddLfm2(w, random, seed, shape, fileType);
        if (shape.Gemma4 is { } gemma4) return AddGemma4(w, random, seed, shape, gemma4, fileType);
        if (shape.Gemma3n is { } gemma3n) return AddGemma3n(w, random, shape, gemma3n, fileType);
        if (arch is "phi2" or "stablelm" or "glm4" or "chatglm" or "nemotron" or "glm4moe" or "bailingmoe2") w.Set($"{arch}.rope.dimension_count", (uint)shape.RotaryDim);
        if (arch == "nemotron") w.Set($"{arch}.rope.scaling.type", "none");
        if (shape.StableLm) w.Set($"{arch}.use_parallel_residual", false);
        if (shape.Falcon) w.Set($"{arch}.tensor_data_layout", "jploski");
        if (shape.SlidingWindow > 0)
        {
            w.Set($"{arch}.attention.sliding_window", (uint)shape.SlidingWindow);
            // gpt-oss's, cohere2's and exaone4's windowed layers rotate as the others (their converters write no local base)
            if (!shape.GptOss && !shape.Cohere && !shape.PhiMoe && arch != "exaone4") w.Set($"{arch}.rope.freq_base_swa", 10000f);
        }
        if (shape.YarnFactor > 0)
        {
            w.Set($"{arch}.rope.scaling.type", "yarn");
            w.Set($"{arch}.rope.scaling.factor", (float)shape.YarnFactor);
            w.Set($"{arch}.rope.scaling.original_context_length", 4096u);
        }
        if (shape.HeadDim * shape.Heads != shape.Hidden || shape.WritesHeadSize)
        {
            w.Set($"{arch}.attention.key_length", (uint)shape.HeadDim);
            w.Set($"{arch}.attention.value_length", (uint)shape.HeadDim);
        }
        if (shape.Experts > 0)
        {
            w.Set($"{arch}.expert_count", (uint)shape.Experts);
            w.Set($"{arch}.expert_used_count", (uint)shape.ExpertsUsed);
            // LlamaModel, GraniteMoeModel and JambaModel write no expert width (llama.cpp's is feed_forward_length).
            if (arch is not ("llama" or "granitemoe" or "jamba")) w.Set($"{arch}.expert_feed_forward_length", (uint)shape.ExpertFeedForward);
            // Llama4Model writes no shared width (llama.cpp's is the experts'), but the interleave step.
            if (shape.SharedFeedForward > 0 && !shape.Llama4 && shape.Routing == null && arch != "bailingmoe") w.Set($"{arch}.expert_shared_feed_forward_length", (uint)shape.SharedFeedForward);
            if (shape.Llama4) w.Set($"{arch}.interleave_moe_layer_step", (uint)shape.MoeStep);
            // HunYuanMoEModel writes num_shared_expert (llama.cpp's hunyuan-moe runs one shared MLP whatever it says).
            if (arch == "hunyuan-moe") w.Set($"{arch}.expert_shared_count", 1u);
            // BailingMoeModel: the shared experts' count, a weights scale of 1, renormalisation, no dense lead, the rotated dimensions.
            if (arch == "bailingmoe")
            {
                w.Set($"{arch}.expert_shared_count", (uint)(shape.SharedFeedForward / shape.ExpertFeedForward));
                w.Set($"{arch}.expert_weights_scale", 1f);
                w.Set($"{arch}.expert_weights_norm", true);
                w.Set($"{arch}.leading_dense_block_count", 0u);
                w.Set($"{arch}.rope.dimension_count", (uint)shape.HeadDim);
            }
            // Ernie4_5MoeModel: moe_layer_interval, moe_layer_start_index and moe_num_shared_experts.
            if (shape.ErnieMoe)
            {
                w.Set($"{arch}.interleave_moe_layer_step", 1u);
                w.Set($"{arch}.leading_dense_block_count", (uint)shape.LeadingDenseLayers);
                w.Set($"{arch}.expert_shared_count", 2u);
            }
        }
        if (shape.Routing is { } routing) AddRouting(w, shape, routing);
        if (shape.Granite)
        {
            // GraniteModel writes LlamaModel's rope.dimension_count and the four multipliers of granite-3.x's configs.
            w.Set($"{arch}.rope.dimension_count", (uint)shape.HeadDim);
            w.Set($"{arch}.embedding_scale", 12f);
            w.Set($"{arch}.residual_scale", 0.22f);
            w.Set($"{arch}.attention.scale", 0.015625f);
            w.Set($"{arch}.logit_scale", shape.GraniteLogitScale);
        }
        if (shape.NemotronHBlocks.Length > 0) return AddNemotronH(w, random, seed, shape, shape.Mamba2!.Value, fileType);
        if (arch == "falcon-h1") return AddFalconH1(w, random, shape, shape.Mamba2!.Value, fileType);
        if (shape.Mamba1 is { } mamba1) return AddMamba1(w, random, seed, shape, mamba1, fileType);
        if (shape.Mamba2 is { } mamba2) return arch == "mamba2" ? AddMamba2(w, random, shape, mamba2, fileType) : AddGraniteHybrid(w, random, seed, shape, mamba2, fileType);
        if (shape.DeltaNet is { } delta) return AddQwen35(w, random, seed, shape, delta, fileType);
        if (shape.Cohere)
        {
            // CommandR2Model and Cohere2Model: the logit scale, no RoPE scaling; Cohere2Model its rotated dimensions.
            w.Set($"{arch}.logit_scale", shape.LogitScale);
            w.Set($"{arch}.rope.scaling.type", "none");
            if (arch == "cohere2") w.Set($"{arch}.rope.dimension_count", (uint)shape.HeadDim);
        }
        if (shape.Llama3Rope)
        {
            w.Set($"{arch}.rope.dimension_count", (uint)shape.HeadDim);
            w.AddF32("rope_freqs.weight", [shape.HeadDim / 2], Llama3RopeFactors(shape.HeadDim, shape.RopeBase, shape.Llama3Factor, shape.Llama3HighFrequencyFactor));
        }
        if (shape.PhiMoe) AddLongRope(w, shape);
        if (arch == "apertus") AddXielu(w, random, shape);
        if (shape.MiniCpm)
        {
            w.Set($"{arch}.embedding_scale", 12f);
            w.Set($"{arch}.residual_scale", 1.4f / MathF.Sqrt(shape.Layers));
            w.Set($"{arch}.logit_scale", (float)shape.Hidden / shape.DimModelBase);
        }
        // SmolLM3Model, ArceeModel and Ministral3Model are LlamaModel: they write the rotated dimensions (SmolLM3's NoPE layers are
        // llama.cpp's fixed every 4th).
        if (arch is "smollm3" or "arcee" or "mistral3") w.Set($"{arch}.rope.dimension_count", (uint)shape.HeadDim);
        // Qwen2VLModel writes mrope_section padded to four; Qwen2-VL's [16, 24, 24] of 64 pairs, in proportion.
        if (arch == "qwen2vl") w.Set($"{arch}.rope.dimension_sections", MropeSections(shape.HeadDim / 2));

        var q = shape.Heads * shape.HeadDim;
        var kv = shape.KvHeads * shape.HeadDim;
        // Tied embeddings: no output.weight, and token_embd is quantized as the output.
        Weight(w, random, fileType, "token_embd.weight", shape.TiedEmbeddings ? "output" : "token_embd", 0, shape.Layers, shape.Vocab, shape.Hidden);
        // olmoe and olmo2 normalise the whole q and k projections, qwen3/qwen3moe/gemma3 each head.
        var (qNorm, kNorm) = shape.QkNormAcrossHeads ? (q, kv) : (shape.HeadDim, shape.HeadDim);
        for (var i = 0; i < shape.Layers + nextN; i++)
        {
            var p = $"blk.{i}.";
            if (i >= shape.Layers) AddNextN(w, random, fileType, shape, i);
            if (shape.PreNorms) Norm(w, random, shape, p + "attn_norm.weight", shape.Hidden);
            if (shape.Falcon && shape.KvHeads > 1) Norm(w, random, shape, p + "attn_norm_2.weight", shape.Hidden);
            if (shape.FusedQkv) Weight(w, random, fileType, p + "attn_qkv.weight", "attn_qkv", i, shape.Layers, q + 2 * kv, shape.Hidden);
            else
            {
                Weight(w, random, fileType, p + "attn_q.weight", "attn_q", i, shape.Layers, q, shape.Hidden);
                Weight(w, random, fileType, p + "attn_k.weight", "attn_k", i, shape.Layers, kv, shape.Hidden);
                Weight(w, random, fileType, p + "attn_v.weight", "attn_v", i, shape.Layers, kv, shape.Hidden);
            }
            if (shape.FusedQkv && shape.QkvBias) Bias(w, random, p + "attn_qkv.bias", q + 2 * kv);
            else if (shape.QkvBias || shape.LayerNorm)
            {
                Bias(w, random, p + "attn_q.bias", q);
                Bias(w, random, p + "attn_k.bias", kv);
                Bias(w, random, p + "attn_v.bias", kv);
            }
            if (shape.QkNorm)
            {
                Norm(w, random, p + "attn_q_norm.weight", qNorm);
                Norm(w, random, p + "attn_k_norm.weight", kNorm);
            }
            Weight(w, random, fileType, p + "attn_output.weight", "attn_output", i, shape.Layers, shape.Hidden, q);
            if (shape.GptOss || shape.LayerNorm || shape.PhiMoe) Bias(w, random, p + "attn_output.bias", shape.Hidden);
            if (shape.GptOss)
            {
                // sinks of trained models are logits of order one, large enough to take a visible share of attention
                w.AddF32(p + "attn_sinks.weight", [shape.Heads], Uniform(random, shape.Heads, 0f, 1f));
            }
            // gpt-oss's norm before the experts and Seed-OSS's before the MLP have Gemma's post-attention name (llama.cpp's attn_post_norm)
            if (shape.PostNorms || shape.MlpNormNamedPostAttention) Norm(w, random, p + "post_attention_norm.weight", shape.Hidden);
            if (shape.PreNorms && !shape.MlpNormNamedPostAttention && !shape.Parallel && !shape.Cohere) Norm(w, random, shape, p + "ffn_norm.weight", shape.Hidden);
            if (shape.IsSparse(i))
            {
                // llama-quantize keeps the router in F32 (and ERNIE 4.5's selection bias, of the order of the probabilities it shifts).
                if (shape.ErnieMoe) w.AddF32(p + "exp_probs_b.bias", [shape.Experts], Uniform(random, shape.Experts, 0f, 1f / shape.Experts));
                // GLM-4.5's and dots.llm1's, as DeepSeek-V3's, of the order of the sigmoid scores' spread.
                if (shape.Routing != null) w.AddF32(p + "exp_probs_b.bias", [shape.Experts], Uniform(random, shape.Experts, 0.05f, 0.02f));
                w.AddF32(p + "ffn_gate_inp.weight", [shape.Experts, shape.Hidden], Uniform(random, shape.Experts * shape.Hidden, 0f, WeightSpread));
                Experts(w, seed * 7919 + i, fileType, p + "ffn_gate_exps.weight", "ffn_gate_exps", i, shape, shape.ExpertFeedForward, shape.Hidden);
                Experts(w, seed * 7919 + i + 1, fileType, p + "ffn_up_exps.weight", "ffn_up_exps", i, shape, shape.ExpertFeedForward, shape.Hidden);
                Experts(w, seed * 7919 + i + 2, fileType, p + "ffn_down_exps.weight", "ffn_down_exps", i, shape, shape.Hidden, shape.ExpertFeedForward);
                if (shape.SharedFeedForward > 0)
                {
                    Weight(w, random, fileType, p + "ffn_gate_shexp.weight", "ffn_gate_shexp", i, shape.Layers, shape.SharedFeedForward, shape.Hidden);
                    Weight(w, random, fileType, p + "ffn_up_shexp.weight", "ffn_up_shexp", i, shape.Layers, shape.SharedFeedForward, shape.Hidden);
                    Weight(w, random, fileType, p + "ffn_down_shexp.weight", "ffn_down_shexp", i, shape.Layers, shape.Hidden, shape.SharedFeedForward);
                }
                if (shape.GptOss)
                {
                    Bias(w, random, p + "ffn_gate_inp.bias", shape.Experts);
                    ExpertBias(w, random, p + "ffn_gate_exps.bias", shape.Experts, shape.ExpertFeedForward);
                    ExpertBias(w, random, p + "ffn_up_exps.bias", shape.Experts, shape.ExpertFeedForward);
                    ExpertBias(w, random, p + "ffn_down_exps.bias", shape.Experts, shape.Hidden);
                }
                continue;
            }
            if (shape.GatedMlp && !shape.FusedGateUp) Weight(w, random, fileType, p + "ffn_gate.weight", "ffn_gate", i, shape.Layers, shape.FeedForward, shape.Hidden);
            Weight(w, random, fileType, p + "ffn_up.weight", "ffn_up", i, shape.Layers, (shape.FusedGateUp ? 2 : 1) * shape.FeedForward, shape.Hidden);
            Weight(w, random, fileType, p + "ffn_down.weight", "ffn_down", i, shape.Layers, shape.Hidden, shape.FeedForward);
            if (shape.LayerNorm)
            {
                Bias(w, random, p + "ffn_up.bias", shape.FeedForward);
                Bias(w, random, p + "ffn_down.bias", shape.Hidden);
            }
            if (shape.PostNorms) Norm(w, random, p + "post_ffw_norm.weight", shape.Hidden);
        }
        if (!shape.Olmo) Norm(w, random, shape, "output_norm.weight", shape.Hidden);
        if (!shape.TiedEmbeddings) Weight(w, random, fileType, "output.weight", "output", 0, shape.Layers, shape.Vocab, shape.Hidden);
        if (arch == "phi2" || shape.PhiMoe) Bias(w, random, "output.bias", shape.Vocab);
        return w;
    }

    /// <summary>Writes the synthetic model to <paramref name="path"/>, with <paramref name="tokenizer"/>'s keys if given.</summary>
    public static void Write(SynthShape shape, SynthFileType fileType, int seed, string path, IReadOnlyList<KeyValuePair<string, object>>? tokenizer = null) =>
        Build(shape, fileType, seed, tokenizer).Write(path);

    /// <summary>The tokenizer of a GGUF (every tokenizer.* key of its metadata), to copy into a synthetic model.</summary>
    public static IReadOnlyList<KeyValuePair<string, object>> TokenizerOf(GgufMetadata source)
    {
        if (!source.TryGetArray<string>(TokensKey, out var tokens))
            throw new InvalidModelFileException(source.FilePath, $"has no {TokensKey}: it carries no tokenizer to copy");
        return [.. source.Where(entry => entry.Key.StartsWith("tokenizer.", StringComparison.Ordinal))
            .Select(entry => entry.Key == TokensKey ? new KeyValuePair<string, object>(TokensKey, tokens) : entry)];
    }

    private const string TokensKey = "tokenizer.ggml.tokens";

    private static void SetTokenizer(IReadOnlyList<KeyValuePair<string, object>> tokenizer, SynthShape shape, GgufWriter w)
    {
        var tokens = tokenizer.FirstOrDefault(entry => entry.Key == TokensKey).Value as string[];
        if (tokens?.Length != shape.Vocab)
            throw new MoxingException($"the tokenizer has {tokens?.Length ?? 0} tokens but {shape.Name} has a vocabulary of {shape.Vocab}");
        foreach (var (key, value) in tokenizer) w.Set(key, value);
    }

    private static void Weight(GgufWriter w, Random random, SynthFileType fileType, string name, string role, int layer, int layers,
        int rows, int columns)
    {
        var type = fileType.TypeFor(role, layer, layers, columns);
        var bytes = new byte[type.ByteCount((long)rows * columns)];
        Fill(type, bytes, random, rows * columns);
        w.AddTensor(name, type, [rows, columns], bytes);
    }

    // A [experts, rows, columns] stack, generated expert by expert while the file is written (a real-sized one does not fit
    // in memory), from a random stream of its own so the file does not depend on when it is written.
    private static void Experts(GgufWriter w, int seed, SynthFileType fileType, string name, string role, int layer, SynthShape shape,
        int rows, int columns)
    {
        // gpt-oss ships its experts in MXFP4, which the converter copies whatever the other tensors' type
        var type = shape.GptOss ? DType.MXFP4 : fileType.TypeFor(role, layer, shape.Layers, columns);
        Stack(w, seed, type, name, shape.Experts, rows, columns);
    }

    // A [count, rows, columns] tensor of type, generated matrix by matrix from a random stream of its own.
    private static void Stack(GgufWriter w, int seed, DType type, string name, int count, int rows, int columns) =>
        w.AddTensor(name, type, [count, rows, columns], stream =>
        {
            var random = new Random(seed);
            var bytes = new byte[type.ByteCount((long)rows * columns)];
            for (var e = 0; e < count; e++)
            {
                Fill(type, bytes, random, rows * columns);
                stream.Write(bytes);
            }
        });

    private static void Fill(DType type, byte[] bytes, Random random, int count)
    {
        if (RandomBlocks.Supports(type)) RandomBlocks.Fill(type, bytes, random);
        else Quantizer.Quantize(type, Uniform(random, count, 0f, WeightSpread), bytes);
    }

    // Norm weights near 1, as trained models have them.
    private static void Norm(GgufWriter w, Random random, string name, int length) =>
        w.AddF32(name, [length], Uniform(random, length, 1f, 0.1f));

    // A LayerNorm's weight near 1 and its bias near 0; an RMSNorm's weight alone.
    private static void Norm(GgufWriter w, Random random, SynthShape shape, string name, int length)
    {
        Norm(w, random, name, length);
        if (shape.NormBiases) Bias(w, random, name.Replace(".weight", ".bias", StringComparison.Ordinal), length);
    }

    private static void Bias(GgufWriter w, Random random, string name, int length) =>
        w.AddF32(name, [length], Uniform(random, length, 0f, WeightSpread));

    private static void ExpertBias(GgufWriter w, Random random, string name, int experts, int length) =>
        w.AddF32(name, [experts, length], Uniform(random, experts * length, 0f, WeightSpread));

    // Uniform values with the given mean and standard deviation (half-width √3·sd).
    private static float[] Uniform(Random random, int count, float mean, float sd)
    {
        var values = new float[count];
        var width = 2f * MathF.Sqrt(3f) * sd;
        for (var i = 0; i < values.Length; i++) values[i] = mean + (random.NextSingle() - 0.5f) * width;
        return values;
    }

    // Phi3MiniModel's LongRoPE keys and factor tensors over 4096 original positions: short factors 1, long ones rising to 32
    // (synthetic: the shapes carry no checkpoint's factors), cos/sin scaled by sqrt(1 + ln(context/4096) / ln 4096).
    private static void AddLongRope(GgufWriter w, SynthShape shape)
    {
        const int original = 4096;
        var arch = shape.Architecture;
        w.Set($"{arch}.rope.dimension_count", (uint)shape.HeadDim);
        w.Set($"{arch}.rope.scaling.original_context_length", (uint)original);
        w.Set($"{arch}.rope.scaling.attn_factor", (float)Math.Sqrt(1 + Math.Log((double)shape.Context / original) / Math.Log(original)));
        var pairs = shape.HeadDim / 2;
        w.AddF32("rope_factors_long.weight", [pairs], Enumerable.Range(0, pairs).Select(i => MathF.Pow(32f, (float)i / (pairs - 1))).ToArray());
        w.AddF32("rope_factors_short.weight", [pairs], Enumerable.Repeat(1f, pairs).ToArray());
    }

    // Apertus's xIELU scalars per layer, stored before their softplus as its converter writes them: alpha_p near
    // softplus⁻¹(0.8), alpha_n near softplus⁻¹(0.3) (trained values vary by layer), beta 0.5, eps −1e-6.
    private static void AddXielu(GgufWriter w, Random random, SynthShape shape)
    {
        float[] Around(float mean) => Uniform(random, shape.Layers, mean, 0.1f);
        w.Set("xielu.alpha_p", Around(MathF.Log(MathF.Exp(0.8f) - 1)));
        w.Set("xielu.alpha_n", Around(MathF.Log(MathF.Exp(0.3f) - 1)));
        w.Set("xielu.beta", Enumerable.Repeat(0.5f, shape.Layers).ToArray());
        w.Set("xielu.eps", Enumerable.Repeat(-1e-6f, shape.Layers).ToArray());
    }

    /// <summary>M-RoPE sections of <paramref name="pairs"/> rotated pairs as Qwen2-VL's [16, 24, 24] of 64, with the unused fourth 0.</summary>
    public static int[] MropeSections(int pairs) => [pairs / 4, 3 * pairs / 8, pairs - pairs / 4 - 3 * pairs / 8, 0];

    /// <summary>Llama 3 RoPE frequency factors as the converter computes them (factor 32 and high frequency factor 4 unless given, low 1, original 8192).</summary>
    public static float[] Llama3RopeFactors(int headDim, float ropeBase, double factor = 32, double high = 4)
    {
        const double low = 1, original = 8192;
        var factors = new float[headDim / 2];
        for (var i = 0; i < factors.Length; i++)
        {
            var freq = 1.0 / Math.Pow(ropeBase, 2.0 * i / headDim);
            var wavelength = 2 * Math.PI / freq;
            if (wavelength < original / high) factors[i] = 1f;
            else if (wavelength > original / low) factors[i] = (float)factor;
            else
            {
                var smooth = (original / wavelength - low) / (high - low);
                factors[i] = (float)(1 / ((1 - smooth) / factor + smooth));
            }
        }
        return factors;
    }
}
