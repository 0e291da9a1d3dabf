using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Models.Families;

namespace Moxing.Models.Encoder;

/// <summary>Reads an encoder's options and tensor layout from a Hugging Face config.json or a GGUF file's `{arch}.*` keys.</summary>
internal static class EncoderConfigs
{
    /// <summary>HF model types read as encoders.</summary>
    public static IReadOnlyList<string> HfTypes { get; } = ["bert", "roberta", "xlm-roberta", "nomic_bert"];

    /// <summary>GGUF architectures read as encoders.</summary>
    public static IReadOnlyList<string> GgufArchitectures { get; } = ["bert", "nomic-bert"];

    /// <summary>The options and names of the encoder <paramref name="config"/> describes (model_type <paramref name="modelType"/>).</summary>
    public static (BertOptions Options, EncoderTensorNames Names) FromHf(HfConfig config, string modelType, string path)
    {
        if (modelType == "nomic_bert") return (NomicFromHf(config, path), EncoderTensorNames.HfNomicBert);
        int Positive(string key) => config.GetInt(key) is var v && v > 0 ? v : throw config.Error(key, $"is {v}, expected a positive number");
        var options = new BertOptions(Positive("vocab_size"), Positive("hidden_size"), Positive("num_hidden_layers"),
            Positive("num_attention_heads"), Positive("intermediate_size"), Positive("max_position_embeddings"),
            config.GetFloat("layer_norm_eps", 1e-12f), HfActivation.Read(config, "hidden_act", "gelu"));
        if (modelType == "bert") return (options, EncoderTensorNames.HfBert);
        // RoBERTa numbers positions from padding_idx + 1 (create_position_ids_from_input_ids); those rows are not usable positions.
        var offset = config.GetInt("pad_token_id", 1) + 1;
        if (offset >= options.MaxPositions)
            throw new InvalidModelFileException(path, $"pad_token_id {offset - 1} leaves no positions of max_position_embeddings {options.MaxPositions}");
        return (options with { MaxPositions = options.MaxPositions - offset, PositionOffset = offset }, EncoderTensorNames.HfRoberta);
    }

    // nomic-ai's NomicBertConfig: GPT-2-style names, rotary positions over whole heads, SwiGLU, post-norm.
    private static BertOptions NomicFromHf(HfConfig config, string path)
    {
        void Expect(string key, bool expected, bool fallback)
        {
            if (config.GetBool(key, fallback) != expected)
                throw new InvalidModelFileException(path, $"'{key}' is {!expected}; nomic_bert is supported with {key} {expected.ToString().ToLowerInvariant()}");
        }
        Expect("prenorm", false, false);
        Expect("rotary_emb_interleaved", false, false);
        Expect("causal", false, false);
        if (config.GetDouble("rotary_emb_fraction", 1) != 1)
            throw new InvalidModelFileException(path, $"'rotary_emb_fraction' is {config.GetDouble("rotary_emb_fraction")}; nomic_bert is supported with 1.0 (rotary on whole heads)");
        var activation = config.GetString("activation_function", "swiglu");
        if (activation != "swiglu")
            throw new InvalidModelFileException(path, $"'activation_function' is '{activation}'; nomic_bert is supported with 'swiglu'");
        int Positive(string key, int? fallback = null) =>
            (fallback is { } f ? config.GetInt(key, f) : config.GetInt(key)) is var v && v > 0 ? v : throw config.Error(key, $"is {v}, expected a positive number");
        var hidden = Positive("n_embd");
        var heads = Positive("n_head");
        return new BertOptions(Positive("vocab_size"), hidden, Positive("n_layer"), heads, Positive("n_inner", 4 * hidden),
            Positive("n_positions"), config.GetFloat("layer_norm_epsilon", 1e-12f), Activation.Silu)
        {
            Rope = new RopeConfig(config.GetDouble("rotary_emb_base", 10000), hidden / Math.Max(heads, 1), RopeStyle.Half),
            GatedFeedForward = true,
        };
    }

    /// <summary>
    /// The sequence-classification head <paramref name="config"/> declares (architectures *ForSequenceClassification): BERT's pooler
    /// and classifier, RoBERTa's classifier.dense and out_proj; labels from id2label, meaning from problem_type. Null for none.
    /// </summary>
    public static ClassifierHeadLayout? HeadFromHf(HfConfig config, string modelType, string path)
    {
        var architecture = config.GetStringList("architectures").FirstOrDefault(a => a.EndsWith("ForSequenceClassification", StringComparison.Ordinal));
        if (architecture == null) return null;
        var (dense, output) = modelType switch
        {
            "bert" => ("pooler.dense", "classifier"),
            "roberta" or "xlm-roberta" => ("classifier.dense", "classifier.out_proj"),
            _ => throw new InvalidModelFileException(path, $"'{architecture}' is not supported: sequence-classification heads are read for bert, roberta and xlm-roberta"),
        };
        var problem = config.GetString("problem_type", "single_label_classification") switch
        {
            "single_label_classification" => ClassificationProblem.SingleLabel,
            "multi_label_classification" => ClassificationProblem.MultiLabel,
            "regression" => ClassificationProblem.Regression,
            var other => throw config.Error("problem_type", $"is '{other}', expected single_label_classification, multi_label_classification or regression"),
        };
        return new ClassifierHeadLayout(dense, DenseRequired: true, output, Labels(config), problem);
    }

    // id2label {"0": "negative", "1": "positive"} as a list in id order; null without one.
    private static string[]? Labels(HfConfig config)
    {
        if (!config.TryGetSection("id2label", out var section)) return null;
        var labels = new string?[section.Keys.Count()];
        foreach (var key in section.Keys)
        {
            if (!int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) || id >= labels.Length || labels[id] != null)
                throw config.Error("id2label", $"has the key '{key}', expected the ids 0 to {labels.Length - 1}");
            labels[id] = section.GetString(key);
        }
        return labels!;
    }

    /// <summary>
    /// The classifier head of an encoder GGUF as llama.cpp reads it for pooling type RANK: `cls` (optional: llama.cpp's converter drops
    /// BERT's pooler) + tanh, then `cls.output`, labels from `{arch}.classifier.output_labels`. Null when the file has no `cls.output`
    /// and does not declare rank pooling.
    /// </summary>
    public static ClassifierHeadLayout? HeadFromGguf(GgufFile file)
    {
        var arch = file.Metadata.GetString("general.architecture");
        var rank = file.Metadata.TryGetInt64($"{arch}.pooling_type", out var pooling) && pooling == RankPooling;
        if (!rank && file.Find("cls.output.weight") == null) return null;
        var labels = file.Metadata.TryGetArray<string>($"{arch}.classifier.output_labels", out var names) ? names : null;
        return new ClassifierHeadLayout("cls", DenseRequired: false, "cls.output", labels, ClassificationProblem.SingleLabel);
    }

    /// <summary>llama.cpp's pooling_type of a reranker (LLAMA_POOLING_TYPE_RANK): the classifier head on the first token.</summary>
    public const uint RankPooling = 4;

    /// <summary>The options and names of the encoder in <paramref name="file"/> (architecture bert or nomic-bert).</summary>
    public static (BertOptions Options, EncoderTensorNames Names) FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var arch = p.Architecture;
        if (file.Metadata.TryGetBool($"{arch}.attention.causal", out var causal) && causal)
            throw new InvalidModelFileException(file.FilePath, $"key '{arch}.attention.causal' is true; a {arch} encoder attends both ways");
        int Positive(string key) => p.Int(key) is var v && v > 0 ? v : throw new InvalidModelFileException(file.FilePath, $"key '{arch}.{key}' is {v}, expected a positive number");
        var hidden = Positive("embedding_length");
        var heads = Positive("attention.head_count");
        var embedding = file.Find("token_embd.weight") ?? throw new InvalidModelFileException(file.FilePath, "tensor 'token_embd.weight' is missing");
        if (embedding.Shape.Length != 2) throw new InvalidModelFileException(file.FilePath, $"tensor 'token_embd.weight' has shape [{string.Join(", ", embedding.Shape)}], expected [vocab, {hidden}]");
        var options = new BertOptions(checked((int)embedding.Shape[0]), hidden, Positive("block_count"), heads, Positive("feed_forward_length"),
            Positive("context_length"), p.Float("attention.layer_norm_epsilon", 1e-12f), Activation.GeluErf);
        if (arch == "bert") return (options, EncoderTensorNames.GgufBert);
        var rotary = p.Int("rope.dimension_count", hidden / heads);
        if (rotary != hidden / heads)
            throw new InvalidModelFileException(file.FilePath, $"key '{arch}.rope.dimension_count' is {rotary}; nomic-bert rotates whole heads of {hidden / heads}");
        return (options with
        {
            Activation = Activation.Silu,
            GatedFeedForward = true,
            Rope = new RopeConfig(p.Float("rope.freq_base", 10000f), rotary, RopeStyle.Half),
        }, EncoderTensorNames.GgufNomicBert);
    }
}
