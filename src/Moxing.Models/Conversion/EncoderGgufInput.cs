using System.Runtime.InteropServices;
using Moxing.Core;
using Moxing.Core.Formats;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Quantization;
using Moxing.Core.Tensors;
using Moxing.Models.Encoder;
using Moxing.Text.Tokenization.Gguf;

namespace Moxing.Models.Conversion;

/// <summary>
/// A Hugging Face encoder folder (F32/F16/BF16 safetensors) seen as the GGUF convert_hf_to_gguf.py writes: BERT, RoBERTa and
/// XLM-RoBERTa as architecture `bert` (RoBERTa's position table cut below padding_idx + 1, so positions start at row 0), nomic_bert as
/// `nomic-bert` (rotary base, context 2048 for nomic-embed-text's 8192); tensors under llama.cpp's names (the pooler and
/// masked-LM heads dropped), vectors and the position and token-type tables as F32, `{arch}.attention.causal` false, the
/// sentence-transformers pooling as `{arch}.pooling_type`, the WordPiece or Unigram tokenizer (<see cref="EncoderTokenizerToGguf"/>)
/// or RoBERTa's byte-level BPE (<see cref="HfTokenizerToGguf"/>). A sequence classifier (a cross-encoder reranker) keeps its head
/// as llama.cpp's rank pooling reads it: `cls` (BERT's pooler, which llama.cpp's converter drops, so that the file scores as the
/// folder does; RoBERTa's classifier.dense) and `cls.output`, its labels as `{arch}.classifier.output_labels`, pooling_type RANK.
/// </summary>
public sealed class EncoderGgufInput : IQuantizationInput, IDisposable
{
    // Tensors of a BERT checkpoint the converter drops: buffers, the pooler, the pre-training heads.
    private static readonly string[] DroppedPrefixes = ["embeddings.position_ids", "pooler.", "cls."];

    // The converter writes these tables as F32 whatever the output type (ggml adds them to F32 activations).
    private static readonly string[] AlwaysF32 = ["position_embd.weight", "token_types.weight"];

    private readonly ITensorSource _tensors;
    private readonly Dictionary<string, StoredTensor> _byGgufName = new(StringComparer.Ordinal);
    private readonly int _positionOffset;

    /// <inheritdoc />
    public string SourcePath { get; }

    /// <inheritdoc />
    public GgufMetadata Metadata { get; }

    /// <inheritdoc />
    public IReadOnlyList<TensorHeader> Tensors { get; }

    /// <summary>True when <paramref name="folder"/>'s config.json names a model type this class converts.</summary>
    public static bool Converts(string folder)
    {
        var configPath = Path.Combine(folder, "config.json");
        return File.Exists(configPath) && HfConfig.Load(configPath).TryGetString("model_type", out var type) && Architecture(type) != null;
    }

    // The GGUF architecture of an HF encoder model type.
    private static string? Architecture(string modelType) => modelType switch
    {
        "bert" or "roberta" or "xlm-roberta" => "bert",
        "nomic_bert" => "nomic-bert",
        _ => null,
    };

    /// <summary>Opens <paramref name="folder"/>; errors name the file and what cannot be converted.</summary>
    public EncoderGgufInput(string folder)
    {
        SourcePath = folder;
        var configPath = Path.Combine(folder, "config.json");
        if (!File.Exists(configPath)) throw new InvalidModelFileException(folder, "not a model folder: config.json is missing");
        var config = HfConfig.Load(configPath);
        var modelType = config.GetString("model_type");
        var architecture = Architecture(modelType)
            ?? throw new InvalidModelFileException(configPath, $"model_type '{modelType}' is not an encoder this converter writes (bert, roberta, xlm-roberta, nomic_bert)");
        var head = EncoderConfigs.HeadFromHf(config, modelType, configPath);
        var (options, names) = EncoderConfigs.FromHf(config, modelType, configPath);
        _positionOffset = options.PositionOffset;
        _tensors = ModelTensors.OpenFolder(folder);
        try
        {
            var map = names.MapTo(architecture == "bert" ? EncoderTensorNames.GgufBert : EncoderTensorNames.GgufNomicBert, options.LayerCount);
            if (head != null)
            {
                map[head.Dense!] = "cls";
                map[head.Output] = "cls.output";
            }
            var headers = new List<TensorHeader>();
            foreach (var t in _tensors.Tensors)
            {
                var name = t.Name.StartsWith(names.BasePrefix, StringComparison.Ordinal) ? t.Name[names.BasePrefix.Length..] : t.Name;
                var dot = name.LastIndexOf('.');
                var mapped = dot > 0 && map.TryGetValue(name[..dot], out var prefix) ? prefix + name[dot..] : null;
                if (mapped == null && DroppedPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal))) continue;
                var gguf = mapped ?? throw new InvalidModelFileException(folder, $"tensor '{t.Name}' has no GGUF name for {modelType}");
                if (t.Type is not (DType.F32 or DType.F16 or DType.BF16))
                    throw new InvalidModelFileException(folder, $"tensor '{t.Name}' is {t.Type}; quantize converts F32, F16 and BF16 folders");
                _byGgufName[gguf] = t;
                var shape = gguf == "position_embd.weight" ? [t.Shape[0] - _positionOffset, t.Shape[1]] : t.Shape;
                headers.Add(new TensorHeader(gguf, t.Shape.Length == 1 || AlwaysF32.Contains(gguf) ? DType.F32 : t.Type, shape));
            }
            var metadata = BuildMetadata(folder, config, options, architecture, headers);
            if (head != null) AddClassifier(metadata, architecture, head, headers, folder);
            Metadata = new GgufMetadata(folder, metadata);
            Tensors = headers;
        }
        catch
        {
            _tensors.Dispose();
            throw;
        }
    }

    private static Dictionary<string, object> BuildMetadata(string folder, HfConfig config, BertOptions o, string architecture, List<TensorHeader> headers)
    {
        var m = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["general.architecture"] = architecture,
            ["general.type"] = "model",
            ["general.name"] = HfGgufMetadata.DisplayName(folder),
            ["general.size_label"] = HfGgufMetadata.SizeLabel(headers),
            // ALL_F32 = 0, MOSTLY_F16 = 1, MOSTLY_BF16 = 32: the type of the matrices
            ["general.file_type"] = headers.Where(h => h.Shape.Length == 2).Select(h => h.Type).FirstOrDefault() switch
            {
                DType.F16 => 1u,
                DType.BF16 => 32u,
                _ => 0u,
            },
        };
        void Arch(string key, object value) => m[$"{architecture}.{key}"] = value;
        // NomicBertModel: nomic-embed-text v1/v1.5 declare 8192 positions but were trained for 2048
        var context = architecture == "nomic-bert" && o.MaxPositions == 8192 && config.GetInt("max_trained_positions", 2048) == 2048 ? 2048 : o.MaxPositions;
        Arch("context_length", (uint)context);
        Arch("embedding_length", (uint)o.HiddenSize);
        Arch("feed_forward_length", (uint)o.IntermediateSize);
        Arch("block_count", (uint)o.LayerCount);
        Arch("attention.head_count", (uint)o.HeadCount);
        Arch("attention.layer_norm_epsilon", o.NormEps);
        Arch("attention.causal", false);
        if (SentenceTransformersPooling.Read(folder) is { } pooling) Arch("pooling_type", pooling);
        if (o.Rope is { } rope) Arch("rope.freq_base", (float)rope.Theta);
        var typeCount = config.GetInt("type_vocab_size", 1);
        // RobertaModel.set_vocab: a byte-level BPE tokenizer.json as GPT-2's, plus the token-type count
        if (EncoderTokenizerToGguf.ModelType(folder) == "BPE")
        {
            foreach (var (key, value) in HfTokenizerToGguf.Metadata(folder, o.VocabSize, HfGgufMetadata.ConfigTokenIds(config), architecture)) m[key] = value;
            m["tokenizer.ggml.token_type_count"] = (uint)typeCount;
        }
        else if (File.Exists(Path.Combine(folder, "tokenizer.json")))
            foreach (var (key, value) in EncoderTokenizerToGguf.Metadata(folder, o.VocabSize, typeCount)) m[key] = value;
        else
            m["tokenizer.ggml.model"] = "no_vocab";
        return m;
    }

    // The head's keys: its labels (as many as cls.output has rows) and rank pooling, which runs it on the first token.
    private static void AddClassifier(Dictionary<string, object> m, string architecture, ClassifierHeadLayout head, List<TensorHeader> headers, string folder)
    {
        var output = headers.FirstOrDefault(h => h.Name == "cls.output.weight") ?? throw new InvalidModelFileException(folder, $"tensor '{head.Output}.weight' is missing");
        if (headers.All(h => h.Name != "cls.weight")) throw new InvalidModelFileException(folder, $"tensor '{head.Dense}.weight' is missing");
        var count = (int)output.Shape[0];
        var labels = head.Labels ?? [.. Enumerable.Range(0, count).Select(i => $"LABEL_{i}")];
        if (labels.Count != count) throw new InvalidModelFileException(folder, $"tensor '{head.Output}.weight' scores {count} labels but config.json names {labels.Count}");
        m[$"{architecture}.classifier.output_labels"] = labels.ToArray();
        m[$"{architecture}.pooling_type"] = EncoderConfigs.RankPooling;
    }

    /// <inheritdoc />
    public unsafe void Read(string name, Action<StoredTensor> use)
    {
        var source = _byGgufName.GetValueOrDefault(name) ?? throw new InvalidModelFileException(SourcePath, $"tensor '{name}' is missing");
        if ((source.Type == DType.F32 && (name != "position_embd.weight" || _positionOffset == 0)) || (source.Shape.Length != 1 && !AlwaysF32.Contains(name)))
        {
            use(source);
            return;
        }
        var floats = new float[source.ElementCount];
        Dequantizer.Dequantize(source.Type, source.Bytes, floats);
        // RobertaModel.modify_tensors: the position table from row padding_idx + 1
        var skip = name == "position_embd.weight" ? _positionOffset * source.Shape[1] : 0;
        var shape = name == "position_embd.weight" ? [source.Shape[0] - _positionOffset, source.Shape[1]] : source.Shape;
        fixed (float* p = floats) use(new StoredTensor(name, DType.F32, shape, (byte*)(p + skip), (floats.Length - skip) * 4L));
    }

    /// <inheritdoc />
    public void Dispose() => _tensors.Dispose();
}
