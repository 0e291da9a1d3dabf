using Moxing.Core.Formats.Gguf;
using Moxing.Models.Synthesis;
using Moxing.Models.Vision;
using Moxing.Text.Tokenization.Gguf;

namespace Moxing.Cli.Commands;

/// <summary>`moxing synth --like NAME --type TYPE -o FILE`: a GGUF with random weights shaped like a real model, for benchmarks.</summary>
public sealed class SynthCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "synth";

    /// <inheritdoc />
    public string Summary => "write a GGUF with random weights shaped like a real model (for benchmarks)";

    /// <inheritdoc />
    public string Usage => """
        usage: moxing synth --like MODEL --type TYPE -o FILE.gguf [--seed N] [--vocab-from FILE.gguf | --words]
               [--mmproj FILE.gguf [--projector gemma3|mlp|idefics3|qwen2vl_merger|qwen2.5vl_merger]]
          --like     qwen2.5-0.5b | qwen2.5-1.5b | llama3.2-1b | qwen3-0.6b | gemma3-270m | gemma3-1b | gemma-2b | gemma-4-e2b
                     | gemma-3n-e2b | gemma-3n-e4b (AltUp streams, Laurel, sparse gates, per-layer inputs)
                     | granite-3.1-2b | olmo2-1b | phi-2 | starcoder2-3b | falcon-7b | falcon-40b | exaone-3.5-2.4b
                     | smollm3-3b | internlm2.5-7b | pythia-1b | bloom-560m | mpt-7b | starcoderbase-1b | command-r-35b | command-r7b | stablelm-2-1_6b | glm-4-9b
                     | glm-4-9b-chat (chatglm, Ollama's glm4) | nemotron-mini-4b | olmo-1b | minicpm-2b | ernie-4.5-0.3b
                     | seed-oss-36b | exaone-4.0-32b | hunyuan-0.5b | afm-4.5b | mistral-small-3.1-24b | apertus-8b
                     | lfm2-350m | lfm2-700m | lfm2-1.2b (short convolutions beside attention) | granite-4.0-h-tiny (Mamba2) | mamba2-130m
                     | lfm2-8b-a1b (short convolutions and experts) | nemotron-h-8b (Mamba2, attention and MLP blocks)
                     | falcon-h1-0.5b (Mamba2 beside attention) | mamba-130m | falcon-mamba-7b (Mamba 1)
                     | jamba-v0.1 (Mamba 1 and attention, experts)
                     | qwen3.5-0.8b | qwen3.5-35b-a3b | qwen3-next-80b-a3b (Gated DeltaNet beside gated attention)
                     | olmoe-1b-7b | qwen3-30b-a3b
                     | gemma-4-26b-a4b | mixtral-8x7b | granite-3.1-3b-a800m | phi-3.5-moe | ernie-4.5-21b-a3b | llama4-scout | llama4-maverick | deepseek-v2-lite
                     | deepseek-v3 | glm-4.5-air | glm-4.5 | dots.llm1 | hunyuan-a13b | ling-lite | ling-mini-2.0 | gpt-oss-20b | gpt-oss-120b (mixtures of experts; gpt-oss's experts are MXFP4
                     whatever --type, as its converter writes them); tiny-NAME for small ones for tests (qwen2, llama,
                     qwen3, gemma, gemma3, gemma4, gemma4-moe, gemma3n, granite, olmo2, phi2, starcoder2, falcon, exaone, smollm3, internlm2, gptneox, bloom, mpt, starcoder,
                     command-r, cohere2, stablelm, glm4, chatglm, nemotron, olmo, minicpm, ernie4_5, seed_oss, exaone4, hunyuan-dense, arcee, mistral3, apertus, lfm2, granitehybrid, mamba2, mamba, falcon-mamba, jamba, lfm2-moe, nemotron-h, nemotron-h-moe, falcon-h1, qwen35, qwen35moe, qwen3next, qwen3moe, olmoe, mixtral, granitemoe, phimoe, ernie4_5-moe, llama4,
                     llama4-interleaved, deepseek-v2, deepseek-v3, glm4moe, dots1, hunyuan-moe, bailingmoe, bailingmoe2, gpt-oss, qwen2vl, qwen25vl)
                     embedding models all-minilm | mxbai-embed-large | nomic-embed-text | bge-m3 (tiny-bert,
                     tiny-nomic-bert, tiny-xlm-roberta for tests)
          --type     F32 | F16 | BF16 | Q8_0 | Q4_0 | Q4_K_M | Q6_K (per-tensor types as llama-quantize picks them)
          -o         the file to write
          --seed     random seed (default 1)
          --vocab-from  copy the tokenizer (and chat template) of this GGUF, whose vocabulary must have the model's
                     size, so the file can serve text (default: no tokenizer, token ids only)
          --words    a synthetic vocabulary of ASCII words with a ChatML template instead: every token the random
                     model samples is valid text, so any server (llama-server's output parser too) serves it
          --mmproj   also write a small vision projector, as llama.cpp's converters write an mmproj: --projector gemma3 (the
                     default for a gemma3 shape: SigLIP, 224² images, 16 tokens), mlp (LLaVA: CLIP with a class token, 112² images,
                     64 tokens) or idefics3 (SmolVLM: SigLIP, 112² tiles shuffled to 16 tokens, up to 2 × 2 tiles and a global
                     view), qwen2vl_merger / qwen2.5vl_merger (the defaults for tiny-qwen2vl / tiny-qwen25vl: Qwen2-VL's 2-D
                     rotary ViT on images of any size, 2 × 2 merges; 2.5 with SwiGLU, RMSNorm and window attention); with --words
                     the vocabulary holds the projector's image tokens
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "words" };

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var like = args.Option("like") ?? throw new UsageException("--like is required");
        var typeName = args.Option("type") ?? throw new UsageException("--type is required");
        var output = args.Option("o", "output") ?? throw new UsageException("-o FILE is required");
        var seed = args.Int(1, "seed");
        var vocabFrom = args.Option("vocab-from");
        var words = args.Flag("words");
        var projector = args.Option("mmproj");
        var projectorType = args.Option("projector");
        args.RejectUnknown();
        if (words && vocabFrom != null) throw new UsageException("--words and --vocab-from exclude each other");
        var shape = SynthShape.Find(like) ?? throw new UsageException($"--like: unknown model '{like}'");
        var fileType = SynthFileType.Find(typeName) ?? throw new UsageException($"--type: unknown type '{typeName}'");
        var kind = ProjectorKind(projector, projectorType, shape);
        IReadOnlyList<string>? imageTokens = projector != null ? ImagePrompt.VocabularyTokens(kind) : null;
        SyntheticModelWriter.Write(shape, fileType, seed, output, words ? WordVocabulary.Metadata(shape.Vocab, imageTokens) : Tokenizer(vocabFrom));
        context.Out.WriteLine($"wrote {output}: {shape.Name} ({shape.Architecture}, {shape.Layers} layers) {fileType.Name}, {new FileInfo(output).Length / 1e6:F1} MB");
        if (projector == null) return 0;
        SyntheticProjector.Write(kind, shape.Hidden, seed).Write(projector);
        context.Out.WriteLine($"wrote {projector}: {VisionConfigs.GgufProjectors.Single(p => p.Value == kind).Key} vision projector, {new FileInfo(projector).Length / 1e6:F1} MB");
        return 0;
    }

    // --projector by llama.cpp's name; by default gemma3 for a gemma3 shape and Qwen2(.5)-VL's merger for a qwen2vl one, required for any other.
    private static VisionProjector ProjectorKind(string? projector, string? type, SynthShape shape)
    {
        if (projector == null)
            return type == null ? VisionProjector.Gemma3 : throw new UsageException("--projector needs --mmproj FILE");
        type ??= shape.Architecture switch
        {
            "gemma3" => "gemma3",
            "qwen2vl" => shape.Name is "tiny-qwen25vl" or "qwen2.5-vl-3b" ? "qwen2.5vl_merger" : "qwen2vl_merger",
            _ => throw new UsageException($"--mmproj on a {shape.Architecture} shape needs --projector {string.Join("|", VisionConfigs.GgufProjectors.Keys)}"),
        };
        return VisionConfigs.GgufProjectors.TryGetValue(type, out var kind) ? kind
            : throw new UsageException($"--projector: unknown type '{type}' ({string.Join(", ", VisionConfigs.GgufProjectors.Keys)})");
    }

    private static IReadOnlyList<KeyValuePair<string, object>>? Tokenizer(string? vocabFrom)
    {
        if (vocabFrom == null) return null;
        using var source = GgufFile.Open(vocabFrom);
        return SyntheticModelWriter.TokenizerOf(source.Metadata);
    }
}
