using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Moxing.Server.Classify;
using Moxing.Server.Embeddings;
using Moxing.Server.Http;
using Moxing.Server.Metering;
using Moxing.Server.Models;
using Moxing.Text.Tokenization;

namespace Moxing.Server.Rerank;

/// <summary>
/// <c>POST /v1/rerank</c> and <c>/rerank</c> in the Jina / Cohere shape llama-server and vLLM take:
/// <c>{"model", "query", "documents": ["text" | {"text"}, …], "top_n", "return_documents", "raw_scores"}</c> →
/// <c>{"model", "object": "list", "results": [{"index", "relevance_score", "document": {"text"}}], "usage"}</c>, most relevant first.
/// Each document is scored with the query by a cross-encoder (a sequence classifier of one label) on the pair its tokenizer makes;
/// the relevance is the sigmoid of its logit (vLLM's and TEI's scale), or the logit itself with raw_scores (llama-server's).
/// </summary>
public sealed class RerankEndpoint(ModelManager models)
{
    /// <summary>Handles one request.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        var cancellation = context.RequestAborted;
        var r = await JsonRequest.ReadAsync(context.Request, cancellation);
        var modelName = r.RequiredString("model");
        var query = r.RequiredString("query");
        var documents = Documents(r.Node("documents") ?? throw new ApiException(400, "'documents' is required", param: "documents", code: "missing_required_parameter"));
        var topN = r.Int("top_n", 1) ?? documents.Count;
        var returnDocuments = r.Bool("return_documents") ?? true;
        var rawScores = r.Bool("raw_scores") ?? false;
        r.String("user");
        r.RejectUnknown();

        using var lease = await models.AcquireAsync(modelName, null, cancellation);
        var model = lease.Resident;
        var head = SequenceScores.RequireHead(model, "rerank");
        if (head.Labels.Count != 1)
            throw new ApiException(400, $"the model '{modelName}' classifies into {head.Labels.Count} labels; a reranker scores relevance with one: use POST /v1/classify",
                param: "model", code: "model_not_reranker");
        var tokenizer = model.Model.RequireTokenizer();
        var pairs = new EncodedPair[documents.Count];
        for (var i = 0; i < pairs.Length; i++) pairs[i] = tokenizer.EncodePair(query, documents[i]);
        var (scores, tokens) = await SequenceScores.ScoreAsync(model, head, pairs, "documents", MeteredRequest.Of(context), cancellation);
        var order = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).Take(topN).ToArray();
        await JsonStreamWriter.WriteObjectAsync(context, w =>
        {
            w.WriteStartObject();
            w.WriteString("model", modelName);
            w.WriteString("object", "list");
            w.WriteStartArray("results");
            foreach (var i in order)
            {
                w.WriteStartObject();
                w.WriteNumber("index", i);
                w.WriteNumber("relevance_score", rawScores ? scores[i] : 1 / (1 + MathF.Exp(-scores[i])));
                if (returnDocuments)
                {
                    w.WriteStartObject("document");
                    w.WriteString("text", documents[i]);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            UsageJson.WritePromptOnly(w, tokens);
            w.WriteEndObject();
        });
    }

    // A non-empty array of strings or {"text": "…"} objects (Cohere's and Jina's document form).
    private static List<string> Documents(JsonNode node)
    {
        const string expected = "'documents' must be a non-empty array of strings or {\"text\": …} objects";
        if (node is not JsonArray list || list.Count == 0) throw ApiException.BadParameter("documents", expected);
        Embedder.CheckInputCount(list.Count, "documents");
        var documents = new List<string>(list.Count);
        foreach (var item in list)
            documents.Add(item switch
            {
                _ when JsonValues.IsString(item) => item!.GetValue<string>(),
                JsonObject o when o.Count == 1 && JsonValues.IsString(o["text"]) => o["text"]!.GetValue<string>(),
                _ => throw ApiException.BadParameter("documents", expected),
            });
        return documents;
    }
}
