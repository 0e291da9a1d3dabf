namespace Moxing.Models.Encoder;

/// <summary>
/// Where an encoder layout keeps each weight: name prefixes (".weight"/".bias" are appended), "{i}" standing for the layer.
/// A layout names both split q/k/v and a fused qkv where its checkpoints may hold either; the fused one is used when present.
/// </summary>
internal sealed record EncoderTensorNames(string BasePrefix, string Words, string? Positions, string TokenTypes, string EmbeddingNorm,
    string? Query, string? Key, string? Value, string? Qkv, string AttentionOutput, string AttentionNorm, string? Gate, string Up,
    string Down, string OutputNorm)
{
    /// <summary>transformers' BertModel ("bert." prefix optional).</summary>
    public static EncoderTensorNames HfBert { get; } = new("bert.", "embeddings.word_embeddings", "embeddings.position_embeddings",
        "embeddings.token_type_embeddings", "embeddings.LayerNorm", "encoder.layer.{i}.attention.self.query",
        "encoder.layer.{i}.attention.self.key", "encoder.layer.{i}.attention.self.value", null, "encoder.layer.{i}.attention.output.dense",
        "encoder.layer.{i}.attention.output.LayerNorm", null, "encoder.layer.{i}.intermediate.dense", "encoder.layer.{i}.output.dense",
        "encoder.layer.{i}.output.LayerNorm");

    /// <summary>transformers' RobertaModel and XLMRobertaModel: BERT's names under "roberta.".</summary>
    public static EncoderTensorNames HfRoberta { get; } = HfBert with { BasePrefix = "roberta." };

    /// <summary>nomic-ai's NomicBertModel (modeling_hf_nomic_bert.py): fused Wqkv, fc11 up, fc12 gate, fc2 down, post-norms norm1/norm2.</summary>
    public static EncoderTensorNames HfNomicBert { get; } = new("", "embeddings.word_embeddings", null, "embeddings.token_type_embeddings",
        "emb_ln", null, null, null, "encoder.layers.{i}.attn.Wqkv", "encoder.layers.{i}.attn.out_proj", "encoder.layers.{i}.norm1",
        "encoder.layers.{i}.mlp.fc12", "encoder.layers.{i}.mlp.fc11", "encoder.layers.{i}.mlp.fc2", "encoder.layers.{i}.norm2");

    /// <summary>llama.cpp's `bert` architecture.</summary>
    public static EncoderTensorNames GgufBert { get; } = new("", "token_embd", "position_embd", "token_types", "token_embd_norm",
        "blk.{i}.attn_q", "blk.{i}.attn_k", "blk.{i}.attn_v", "blk.{i}.attn_qkv", "blk.{i}.attn_output", "blk.{i}.attn_output_norm", null,
        "blk.{i}.ffn_up", "blk.{i}.ffn_down", "blk.{i}.layer_output_norm");

    /// <summary>llama.cpp's `nomic-bert` architecture: rotary positions (no position embedding), SwiGLU with ffn_gate.</summary>
    public static EncoderTensorNames GgufNomicBert { get; } = GgufBert with { Positions = null, Gate = "blk.{i}.ffn_gate" };

    /// <summary><paramref name="pattern"/> for layer <paramref name="layer"/>.</summary>
    public static string ForLayer(string pattern, int layer) => pattern.Replace("{i}", layer.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>
    /// Each weight prefix of this layout mapped to <paramref name="target"/>'s for a model of <paramref name="layers"/> layers, slot by
    /// slot (a slot either layout lacks is left out).
    /// </summary>
    public Dictionary<string, string> MapTo(EncoderTensorNames target, int layers)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        void Add(string? from, string? to, int layer)
        {
            if (from != null && to != null) map[ForLayer(from, layer)] = ForLayer(to, layer);
        }
        Add(Words, target.Words, 0);
        Add(Positions, target.Positions, 0);
        Add(TokenTypes, target.TokenTypes, 0);
        Add(EmbeddingNorm, target.EmbeddingNorm, 0);
        for (var i = 0; i < layers; i++)
        {
            Add(Query, target.Query, i);
            Add(Key, target.Key, i);
            Add(Value, target.Value, i);
            Add(Qkv, target.Qkv, i);
            Add(AttentionOutput, target.AttentionOutput, i);
            Add(AttentionNorm, target.AttentionNorm, i);
            Add(Gate, target.Gate, i);
            Add(Up, target.Up, i);
            Add(Down, target.Down, i);
            Add(OutputNorm, target.OutputNorm, i);
        }
        return map;
    }
}
