using System.Text.Json;
using System.Text.Json.Nodes;
using Moxing.Core;
using Moxing.Core.Autograd;
using Moxing.Core.Formats.Safetensors;
using Moxing.Training.Data.Text;
using Moxing.Training.Models;

namespace Moxing.Training.Export;

/// <summary>
/// Writes a trained GPT (<see cref="TransformerNetwork"/> with causal attention) as a Hugging Face GPT-2 folder that
/// transformers and Moxing's engine load: config.json (exact GELU via activation_function "gelu", untied lm_head),
/// model.safetensors under GPT-2's names (Conv1D weights stored [in, out]), tokenizer.json, tokenizer_config.json with a
/// chat template, and generation_config.json. GPT-2's heads are n_embd / n_head wide, so a GPT whose heads were pruned is
/// written with zero heads in place of the removed ones (a zero head adds nothing to the output); its feed-forward
/// width, pruned or not, is n_inner.
/// </summary>
public static class Gpt2Export
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// Writes <paramref name="model"/> and its text encoder to <paramref name="folder"/>. <paramref name="tokenizerJson"/> is
    /// the tokenizer.json the run used (copied as is), or null for a <see cref="TokenVocabulary"/>; with
    /// <paramref name="lineDocuments"/> every line of the corpus is one document, so a newline ends generation.
    /// </summary>
    public static void Write(TransformerNetwork model, ITextEncoder encoder, string? tokenizerJson, bool lineDocuments, string folder)
    {
        if (!model.IsCausal) throw new MoxingException("only a GPT (model.type gpt) exports as a language model; classifiers export as classifier folders");
        Directory.CreateDirectory(folder);
        var state = model.StateDict().ToDictionary(e => e.Name, e => e.Value, StringComparer.Ordinal);
        var block = model.Blocks[0].Options;
        var (vocabulary, dim) = (state["tokens.weight"].Shape[0], state["tokens.weight"].Shape[1]);
        var attention = model.Blocks[0].SelfAttn;
        var misfit = dim % attention.HeadDim != 0 ? $"do not divide its width {dim}"
            : attention.InnerDim > dim ? $"are wider together ({attention.InnerDim}) than its width {dim}" : null;
        if (misfit != null)
            throw new MoxingException($"GPT-2's config fixes the head width at n_embd / n_head, and this GPT's {attention.NumHeads} heads of width {attention.HeadDim} {misfit}, so it cannot be written as GPT-2");
        var heads = dim / attention.HeadDim;
        var newline = lineDocuments ? encoder.Encode("\n") : [];
        int? eos = newline.Length == 1 ? newline[0] : null;

        WriteWeights(state, model.Blocks.Count, attention.InnerDim, dim, Path.Combine(folder, "model.safetensors"));
        WriteJson(Path.Combine(folder, "config.json"), new JsonObject
        {
            ["architectures"] = new JsonArray("GPT2LMHeadModel"),
            ["model_type"] = "gpt2",
            ["vocab_size"] = vocabulary,
            ["n_positions"] = model.MaxLength,
            ["n_ctx"] = model.MaxLength,
            ["n_embd"] = dim,
            ["n_layer"] = model.Blocks.Count,
            ["n_head"] = heads,
            ["n_inner"] = block.DimFeedforward,
            // The trainer's GELU is the exact (erf) one; GPT-2's default gelu_new is the tanh approximation.
            ["activation_function"] = block.Gelu ? "gelu" : "relu",
            ["layer_norm_epsilon"] = block.LayerNormEps,
            ["resid_pdrop"] = 0.0,
            ["embd_pdrop"] = 0.0,
            ["attn_pdrop"] = 0.0,
            ["scale_attn_weights"] = true,
            ["tie_word_embeddings"] = false,
            ["bos_token_id"] = eos,
            ["eos_token_id"] = eos,
            ["pad_token_id"] = encoder.PadId,
            ["torch_dtype"] = "float32",
        });
        WriteJson(Path.Combine(folder, "generation_config.json"), new JsonObject
        {
            ["bos_token_id"] = eos,
            ["eos_token_id"] = eos,
            ["pad_token_id"] = encoder.PadId,
        });
        var tokenizerPath = Path.Combine(folder, "tokenizer.json");
        if (tokenizerJson != null) File.Copy(tokenizerJson, tokenizerPath, overwrite: true);
        else if (encoder is TokenVocabulary tokens) WriteJson(tokenizerPath, VocabularyTokenizerJson.Build(tokens));
        else throw new MoxingException("the GPT's text encoder is neither a vocabulary nor a tokenizer.json file, so it cannot be exported");
        WriteJson(Path.Combine(folder, "tokenizer_config.json"), new JsonObject
        {
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
            ["model_max_length"] = model.MaxLength,
            ["pad_token"] = encoder.TokenText(encoder.PadId),
            ["unk_token"] = encoder is TokenVocabulary ? TokenVocabulary.Unknown : null,
            ["clean_up_tokenization_spaces"] = false,
            ["chat_template"] = ChatTemplate(lineDocuments),
        });
    }

    /// <summary>
    /// A language model trained on plain text has no roles: the prompt is the conversation's text, and for a corpus of line
    /// documents each message is a line, so the reply is a new document (a new name, a new sentence).
    /// </summary>
    public static string ChatTemplate(bool lineDocuments) => lineDocuments
        ? "{% for message in messages %}{{ message['content'] }}{{ '\\n' }}{% endfor %}"
        : "{% for message in messages %}{{ message['content'] }}{% endfor %}";

    private static void WriteWeights(Dictionary<string, Tensor> state, int layers, int inner, int dim, string path)
    {
        var writer = new SafetensorsWriter();
        writer.SetMetadata("format", "pt");
        void Add(string name, Tensor value, bool transpose = false) => AddValues(name, value.Data.ToArray(), value.Shape, transpose);
        void AddValues(string name, float[] data, int[] shape, bool transpose = false)
        {
            writer.Add(name, transpose ? [shape[1], shape[0]] : Array.ConvertAll(shape, d => (long)d), transpose ? Transposed(data, shape[0], shape[1]) : data);
        }
        Add("transformer.wte.weight", state["tokens.weight"]);
        Add("transformer.wpe.weight", state["positions"]);
        for (var i = 0; i < layers; i++)
        {
            var (ours, theirs) = ($"layers.{i}.", $"transformer.h.{i}.");
            Add(theirs + "ln_1.weight", state[ours + "norm1.weight"]);
            Add(theirs + "ln_1.bias", state[ours + "norm1.bias"]);
            // GPT-2's Conv1D keeps weights [in, out]: PyTorch Linear's [out, in] transposed; c_attn's columns are q, k, v as in_proj's rows.
            AddValues(theirs + "attn.c_attn.weight", ZeroHeadRows(state[ours + "self_attn.in_proj_weight"].Data, inner, dim, dim), [3 * dim, dim], transpose: true);
            AddValues(theirs + "attn.c_attn.bias", ZeroHeadRows(state[ours + "self_attn.in_proj_bias"].Data, inner, dim, 1), [3 * dim]);
            AddValues(theirs + "attn.c_proj.weight", ZeroHeadColumns(state[ours + "self_attn.out_proj.weight"].Data, dim, inner), [dim, dim], transpose: true);
            Add(theirs + "attn.c_proj.bias", state[ours + "self_attn.out_proj.bias"]);
            Add(theirs + "ln_2.weight", state[ours + "norm2.weight"]);
            Add(theirs + "ln_2.bias", state[ours + "norm2.bias"]);
            Add(theirs + "mlp.c_fc.weight", state[ours + "linear1.weight"], transpose: true);
            Add(theirs + "mlp.c_fc.bias", state[ours + "linear1.bias"]);
            Add(theirs + "mlp.c_proj.weight", state[ours + "linear2.weight"], transpose: true);
            Add(theirs + "mlp.c_proj.bias", state[ours + "linear2.bias"]);
        }
        Add("transformer.ln_f.weight", state["norm.weight"]);
        Add("transformer.ln_f.bias", state["norm.bias"]);
        Add("lm_head.weight", state["head.weight"]);
        writer.Write(path);
    }

    // q, k and v rows of [3·inner, columns] widened to [3·dim, columns]: the heads past inner are zero.
    private static float[] ZeroHeadRows(ReadOnlySpan<float> packed, int inner, int dim, int columns)
    {
        var result = new float[3 * dim * columns];
        for (var part = 0; part < 3; part++) packed.Slice(part * inner * columns, inner * columns).CopyTo(result.AsSpan(part * dim * columns));
        return result;
    }

    // out_proj [dim, inner] widened to [dim, dim]: the columns of the heads past inner are zero.
    private static float[] ZeroHeadColumns(ReadOnlySpan<float> matrix, int dim, int inner)
    {
        var result = new float[dim * dim];
        for (var r = 0; r < dim; r++) matrix.Slice(r * inner, inner).CopyTo(result.AsSpan(r * dim));
        return result;
    }

    private static float[] Transposed(float[] source, int rows, int cols)
    {
        var result = new float[source.Length];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < cols; c++)
                result[c * rows + r] = source[r * cols + c];
        return result;
    }

    private static void WriteJson(string path, JsonNode node) => File.WriteAllText(path, node.ToJsonString(Indented) + "\n");
}
