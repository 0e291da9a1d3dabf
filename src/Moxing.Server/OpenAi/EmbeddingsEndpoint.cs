using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Moxing.Server.Embeddings;
using Moxing.Server.Http;
using Moxing.Server.Metering;
using Moxing.Server.Models;

namespace Moxing.Server.OpenAi;

/// <summary><c>POST /v1/embeddings</c>: vectors for a string, a list of strings, or token ids.</summary>
public sealed class EmbeddingsEndpoint(ModelManager models)
{
    /// <summary>Handles one request.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        var cancellation = context.RequestAborted;
        var r = await JsonRequest.ReadAsync(context.Request, cancellation);
        var modelName = r.RequiredString("model");
        var inputs = Inputs(r.Node("input") ?? throw new ApiException(400, "'input' is required", param: "input", code: "missing_required_parameter"));
        var format = r.String("encoding_format") ?? "float";
        if (format is not ("float" or "base64")) throw ApiException.BadParameter("encoding_format", "'encoding_format' must be 'float' or 'base64'");
        var dimensions = r.Int("dimensions", 1);
        r.String("user");
        r.RejectUnknown();

        using var lease = await models.AcquireAsync(modelName, null, cancellation);
        var batch = await Embedder.EmbedAsync(lease.Resident, inputs, dimensions, truncate: false, MeteredRequest.Of(context), cancellation);
        await JsonStreamWriter.WriteObjectAsync(context, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            for (var i = 0; i < batch.Vectors.Length; i++)
            {
                w.WriteStartObject();
                w.WriteString("object", "embedding");
                w.WriteNumber("index", i);
                if (format == "base64") w.WriteBase64String("embedding", MemoryMarshal.AsBytes(batch.Vectors[i].AsSpan()));
                else
                {
                    w.WriteStartArray("embedding");
                    foreach (var x in batch.Vectors[i]) w.WriteNumberValue(x);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("model", modelName);
            UsageJson.WritePromptOnly(w, batch.PromptTokens);
            w.WriteEndObject();
        });
    }

    // A string, an array of strings, an array of token ids, or an array of such arrays.
    private static List<EmbeddingInput> Inputs(JsonNode input)
    {
        const string expected = "'input' must be a string, an array of strings, an array of token ids or an array of token-id arrays";
        if (JsonValues.IsString(input)) return [new EmbeddingInput(input.GetValue<string>(), null)];
        if (input is not JsonArray list || list.Count == 0) throw ApiException.BadParameter("input", expected);
        Embedder.CheckInputCount(list.Count);
        if (JsonValues.IsIdList(list)) return [new EmbeddingInput(null, JsonValues.TokenIds(list, "input"))];
        var inputs = new List<EmbeddingInput>(list.Count);
        foreach (var item in list)
            inputs.Add(item switch
            {
                _ when JsonValues.IsString(item) => new EmbeddingInput(item!.GetValue<string>(), null),
                JsonArray ids when JsonValues.IsIdList(ids) => new EmbeddingInput(null, JsonValues.TokenIds(ids, "input")),
                _ => throw ApiException.BadParameter("input", expected),
            });
        return inputs;
    }
}
