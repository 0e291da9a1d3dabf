using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Encoder;
using Moxing.Models.Vision;
using Moxing.Text.Templates;
using Moxing.Text.Tokenization;

namespace Moxing.Models;

/// <summary>Where a model came from.</summary>
public enum ModelFormat
{
    /// <summary>A Hugging Face folder (config.json + safetensors).</summary>
    HuggingFace,
    /// <summary>A single GGUF file.</summary>
    Gguf,
}

/// <summary>A model ready to run: its network (decoder or encoder), tokenizer, chat template and generation defaults.</summary>
public sealed class LoadedModel : IDisposable
{
    private IReadOnlyDictionary<string, string>? _ggufNames;

    /// <summary>The folder or file it was loaded from.</summary>
    public required string Path { get; init; }

    /// <summary>HF folder or GGUF file.</summary>
    public required ModelFormat Format { get; init; }

    /// <summary>Architecture name (model_type / general.architecture).</summary>
    public required string Architecture { get; init; }

    /// <summary>The decoder, for causal language models.</summary>
    public DecoderModel? Decoder { get; init; }

    /// <summary>The encoder, for embedding models.</summary>
    public BertModel? Encoder { get; init; }

    /// <summary>The vision tower and projector (an mmproj GGUF beside a GGUF, or a Gemma 3 folder's own); null for a text-only model.</summary>
    public VisionTower? Vision { get; internal set; }

    /// <summary>The vision tower, or an error saying the model takes no images.</summary>
    public VisionTower RequireVision() => Vision ?? throw new Core.MoxingException(
        $"{System.IO.Path.GetFileName(Path.TrimEnd('/'))}: the model has no vision tower, so it takes no images (import it with its mmproj projector: --mmproj FILE)");

    /// <summary>The encoder's sequence-classification head (rerankers, text classifiers); null for an embedding model.</summary>
    public ClassifierHead? Classifier { get; init; }

    /// <summary>Every stored tensor (for `show`: counts and types).</summary>
    public required IReadOnlyList<StoredTensor> Tensors { get; init; }

    /// <summary>The tensors of <see cref="Tensors"/> computed at load from the checkpoint's own (a Hugging Face gpt-oss folder's
    /// experts, repacked from blocks and scales): held in memory, not mapped from the file.</summary>
    public IReadOnlyList<StoredTensor> Computed { get; init; } = [];

    /// <summary>The tokenizer (tokenizer.json or GGUF tokenizer.ggml.*), when the model ships one.</summary>
    public Tokenizer? Tokenizer { get; init; }

    /// <summary>The chat templates (chat_template.jinja, tokenizer_config.json or GGUF tokenizer.chat_template), when present.</summary>
    public ChatTemplateSource? ChatTemplates { get; init; }

    /// <summary>
    /// Asks the OS to read every weight's file pages ahead (MADV_WILLNEED, as llama.cpp does when it maps a model), so the first
    /// steps — and a mixture of experts' first use of each expert — do not wait on the disk page by page. Returns at once.
    /// </summary>
    public unsafe void PrefetchWeights()
    {
        foreach (var t in Tensors) Core.IO.MappedPages.Prefetch(t.Data, t.ByteLength);
    }

    /// <summary>The tokenizer, or an error saying the model has none.</summary>
    public Tokenizer RequireTokenizer() => Tokenizer ?? throw new Core.MoxingException($"{Path}: the model has no tokenizer (tokenizer.json or GGUF tokenizer metadata)");

    /// <summary>Ids that end generation (generation_config.json / GGUF eos), possibly empty.</summary>
    public int[] EosTokenIds { get; init; } = [];

    /// <summary>Context length the model was trained for.</summary>
    public int MaxContext { get; init; }

    /// <summary>Total number of parameters.</summary>
    public long ParameterCount => Tensors.Sum(t => t.ElementCount);

    /// <summary>The stored type holding most of the weight matrices' elements (Q4_K, BF16, …); null without matrices.</summary>
    public DType? DominantWeightType
    {
        get
        {
            var byType = new Dictionary<DType, long>();
            foreach (var t in Tensors)
                if (t.Shape.Length >= 2) byType[t.Type] = byType.GetValueOrDefault(t.Type) + t.ElementCount;
            return byType.Count == 0 ? null : byType.MaxBy(kv => kv.Value).Key;
        }
    }

    /// <summary>
    /// The llama.cpp (GGUF) name of one of this decoder's tensors, e.g. model.layers.0.mlp.down_proj.weight → blk.0.ffn_down.weight;
    /// null for a tensor no decoder slot holds.
    /// </summary>
    public string? GgufName(string tensorName)
    {
        if (Format == ModelFormat.Gguf) return tensorName;
        if (Decoder == null || ModelRegistry.ForModelType(Architecture) is not { } family) return null;
        _ggufNames ??= family.HfNames.MapTo(family.GgufNames, Decoder.Options.LayerCount);
        return _ggufNames.GetValueOrDefault(tensorName) ?? _ggufNames.GetValueOrDefault(family.HfNames.BasePrefix + tensorName);
    }

    /// <summary>
    /// Bytes of decoder weight matrices held outside the model file (decoded copies, such as a Hugging Face GPT-2's
    /// transposed Conv1D weights or gpt-oss's repacked experts); 0 when every matrix is read in place from the memory-mapped file.
    /// </summary>
    public long CopiedWeightBytes
    {
        get
        {
            if (Decoder == null) return 0;
            var mapped = new HashSet<StoredTensor>(Tensors, ReferenceEqualityComparer.Instance);
            mapped.ExceptWith(Computed);
            return Decoder.Weights.Matrices.Where(m => !mapped.Contains(m)).Sum(m => m.ByteLength);
        }
    }

    /// <summary>The decoder, or an error saying this model is an encoder.</summary>
    public DecoderModel RequireDecoder() => Decoder ?? throw new Core.MoxingException($"{Path}: '{Architecture}' is an encoder model; it embeds text but does not generate it");

    /// <summary>The encoder, or an error saying this model generates text.</summary>
    public BertModel RequireEncoder() => Encoder ?? throw new Core.MoxingException($"{Path}: '{Architecture}' is a text-generation model, not an encoder");

    /// <inheritdoc />
    public void Dispose()
    {
        Decoder?.Dispose();
        Encoder?.Dispose();
        Vision?.Dispose();
    }
}
