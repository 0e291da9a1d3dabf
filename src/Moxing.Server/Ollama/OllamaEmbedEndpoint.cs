using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Moxing.Server.Embeddings;
using Moxing.Server.Http;
using Moxing.Server.Metering;
using Moxing.Server.Models;

namespace Moxing.Server.Ollama;

/// <summary><c>POST /api/embed</c> (a string or list in, unit vectors out) and the older <c>POST /api/embeddings</c> (one prompt).</summary>
public sealed class OllamaEmbedEndpoint(ModelManager models)
{
    /// <summary>Handles /api/embed.</summary>
    public async Task EmbedAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var cancellation = context.RequestAborted;
        var r = await OllamaRequest.ReadAsync(context);
        var modelName = r.RequiredString("model");
        var inputs = (r.StringOrList("input") ?? []).Select(t => new EmbeddingInput(t, null)).ToList();
        Embedder.CheckInputCount(inputs.Count);
        var truncate = r.Bool("truncate") ?? true;
        var dimensions = r.Int("dimensions", 1);
        var keepAlive = KeepAlive.Parse(r.Node("keep_alive"));
        RejectOptions(r);
        r.RejectUnknown();
        using var lease = await models.AcquireAsync(modelName, keepAlive, cancellation);
        var batch = inputs.Count == 0 ? new EmbeddingBatch([], 0) : await Embedder.EmbedAsync(lease.Resident, inputs, dimensions, truncate, MeteredRequest.Of(context), cancellation);
        await JsonStreamWriter.WriteObjectAsync(context, w =>
        {
            w.WriteStartObject();
            w.WriteString("model", modelName);
            w.WriteStartArray("embeddings");
            foreach (var v in batch.Vectors) WriteVector(w, v);
            w.WriteEndArray();
            OllamaResponse.WriteDurations(w, Stopwatch.GetElapsedTime(started), lease.LoadDuration);
            w.WriteNumber("prompt_eval_count", batch.PromptTokens);
            w.WriteEndObject();
        });
    }

    /// <summary>Handles the legacy /api/embeddings: the vector as the model itself gives it (normalised only by its own declaration, as Ollama's runner), unlike /api/embed's unit vectors.</summary>
    public async Task EmbeddingsAsync(HttpContext context)
    {
        var cancellation = context.RequestAborted;
        var r = await OllamaRequest.ReadAsync(context);
        var modelName = r.RequiredString("model");
        var prompt = r.String("prompt") ?? "";
        var keepAlive = KeepAlive.Parse(r.Node("keep_alive"));
        RejectOptions(r);
        r.RejectUnknown();
        using var lease = await models.AcquireAsync(modelName, keepAlive, cancellation);
        var batch = prompt.Length == 0 ? null : await Embedder.EmbedAsync(lease.Resident, [new EmbeddingInput(prompt, null)], null, true, MeteredRequest.Of(context), cancellation,
            normalize: EmbeddingPoolings.NormalizesItself(lease.Resident.Model));
        await JsonStreamWriter.WriteObjectAsync(context, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("embedding");
            foreach (var x in batch?.Vectors[0] ?? []) w.WriteNumberValue(x);
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    // Sampling options mean nothing to an encoder; an options object is accepted only when empty.
    private static void RejectOptions(JsonRequest r)
    {
        if (r.Nested("options") is { } options) options.RejectUnknown();
    }

    private static void WriteVector(Utf8JsonWriter w, float[] vector)
    {
        w.WriteStartArray();
        foreach (var x in vector) w.WriteNumberValue(x);
        w.WriteEndArray();
    }
}
