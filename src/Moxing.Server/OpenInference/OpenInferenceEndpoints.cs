using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Moxing.Core;
using Moxing.Server.Classify;
using Moxing.Server.Http;
using Moxing.Training.Export;

namespace Moxing.Server.OpenInference;

/// <summary>
/// The Open Inference Protocol (KServe v2) for classifiers trained by `moxing train`: health, server and model metadata,
/// and <c>POST /v2/models/NAME/infer</c> taking an FP32 tensor [N, …example shape] (BYTES [N] for text) and returning the
/// class probabilities (FP32 [N, classes]) and labels (BYTES [N]). Errors are the protocol's <c>{"error": "…"}</c>.
/// </summary>
public sealed class OpenInferenceEndpoints(ClassifierModels classifiers)
{
    /// <summary>The input tensor's name in model metadata.</summary>
    public const string InputName = "input";

    /// <summary>Maps the v2 routes on <paramref name="app"/>.</summary>
    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/v2/health/live", c => Write(c, w => w.WriteBoolean("live", true)));
        app.MapGet("/v2/health/ready", c => Write(c, w => w.WriteBoolean("ready", true)));
        app.MapGet("/v2", c => Write(c, w =>
        {
            w.WriteString("name", "moxing");
            w.WriteString("version", typeof(OpenInferenceEndpoints).Assembly.GetName().Version?.ToString() ?? "0");
            w.WriteStartArray("extensions");
            w.WriteEndArray();
        }));
        app.MapGet("/v2/models/{name}", (HttpContext c, string name) => Guard(c, () => Metadata(c, name)));
        app.MapGet("/v2/models/{name}/ready", (HttpContext c, string name) => Guard(c, () =>
        {
            classifiers.Get(name);
            return Write(c, w =>
            {
                w.WriteString("name", name);
                w.WriteBoolean("ready", true);
            });
        }));
        app.MapPost("/v2/models/{name}/infer", (HttpContext c, string name) => Guard(c, () => InferAsync(c, name)));
    }

    private Task Metadata(HttpContext context, string name)
    {
        var manifest = classifiers.Get(name).Manifest;
        return Write(context, w =>
        {
            w.WriteString("name", name);
            w.WriteStartArray("versions");
            w.WriteEndArray();
            w.WriteString("platform", "moxing_" + manifest.ModelType);
            w.WriteStartArray("inputs");
            WriteTensorMetadata(w, InputName, manifest.IsText ? "BYTES" : "FP32", manifest.IsText ? [-1] : [-1, .. manifest.Shape]);
            w.WriteEndArray();
            w.WriteStartArray("outputs");
            WriteTensorMetadata(w, "probabilities", "FP32", [-1, manifest.Labels.Length]);
            WriteTensorMetadata(w, "label", "BYTES", [-1]);
            w.WriteEndArray();
            w.WriteStartObject("parameters");
            w.WriteStartArray("labels");
            foreach (var label in manifest.Labels) w.WriteStringValue(label);
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private async Task InferAsync(HttpContext context, string name)
    {
        var classifier = classifiers.Get(name);
        var manifest = classifier.Manifest;
        var r = await JsonRequest.ReadAsync(context.Request, context.RequestAborted);
        var id = r.String("id");
        r.Object("parameters");
        var inputs = r.Array("inputs") ?? throw new ApiException(400, "inputs is required (an array with one tensor)");
        if (inputs.Count != 1) throw new ApiException(400, $"the model '{name}' takes exactly one input tensor ('{InputName}'), the request has {inputs.Count}");
        var tensor = OipTensor.Read(new JsonRequest(inputs[0] as System.Text.Json.Nodes.JsonObject ?? throw new ApiException(400, "inputs[0] must be an object"), "inputs[0]."), 0);
        var wanted = Outputs(r);
        r.RejectUnknown();
        if (tensor.Name != InputName) throw new ApiException(400, $"input '{tensor.Name}' is not an input of '{name}' (expected '{InputName}')");
        var (count, probabilities) = manifest.IsText ? Texts(classifier, tensor) : Values(classifier, tensor);
        var labels = manifest.Labels;
        await Write(context, w =>
        {
            w.WriteString("model_name", name);
            if (id != null) w.WriteString("id", id);
            w.WriteStartArray("outputs");
            if (wanted == null || wanted.Contains("probabilities"))
            {
                WriteTensorHeader(w, "probabilities", "FP32", [count, labels.Length]);
                foreach (var p in probabilities) w.WriteNumberValue(p);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            if (wanted == null || wanted.Contains("label"))
            {
                WriteTensorHeader(w, "label", "BYTES", [count]);
                for (var i = 0; i < count; i++)
                    w.WriteStringValue(labels[System.Numerics.Tensors.TensorPrimitives.IndexOfMax(probabilities.AsSpan(i * labels.Length, labels.Length))]);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
    }

    private static HashSet<string>? Outputs(JsonRequest r)
    {
        if (r.Array("outputs") is not { } list) return null;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in list)
        {
            var outputName = item is System.Text.Json.Nodes.JsonObject o && o["name"] is { } n && JsonValues.IsString(n) ? n.GetValue<string>()
                : throw new ApiException(400, "outputs must be objects with a name");
            if (outputName is not ("probabilities" or "label")) throw new ApiException(400, $"output '{outputName}' does not exist (expected 'probabilities' or 'label')");
            names.Add(outputName);
        }
        return names;
    }

    private static (int Count, float[] Probabilities) Texts(TrainedClassifier classifier, OipTensor tensor)
    {
        if (tensor.Datatype != "BYTES")
            throw new ApiException(400, $"input '{tensor.Name}' has datatype {tensor.Datatype}; this text classifier takes BYTES (one string per example)");
        if (tensor.Shape.Length != 1) throw new ApiException(400, $"input '{tensor.Name}' has shape [{string.Join(", ", tensor.Shape)}]; expected [N] strings");
        return (tensor.Strings!.Length, classifier.ClassifyTexts(tensor.Strings).Probabilities);
    }

    private static (int Count, float[] Probabilities) Values(TrainedClassifier classifier, OipTensor tensor)
    {
        var example = classifier.Manifest.Shape;
        var expected = $"[N, {string.Join(", ", example)}]" + (example.Length > 1 ? $" or [N, {classifier.ExampleSize}]" : "");
        if (tensor.Datatype != "FP32") throw new ApiException(400, $"input '{tensor.Name}' has datatype {tensor.Datatype}; expected FP32");
        var shape = tensor.Shape;
        var fits = shape.Length >= 2 && (shape.AsSpan(1).SequenceEqual(Array.ConvertAll(example, d => (long)d))
                                         || (shape.Length == 2 && shape[1] == classifier.ExampleSize));
        if (!fits) throw new ApiException(400, $"input '{tensor.Name}' has shape [{string.Join(", ", shape)}]; expected {expected}");
        var count = (int)shape[0];
        return (count, classifier.ClassifyValues(tensor.Numbers, count));
    }

    private static void WriteTensorMetadata(Utf8JsonWriter w, string name, string datatype, long[] shape)
    {
        WriteTensorFields(w, name, datatype, shape);
        w.WriteEndObject();
    }

    // Opens an output tensor object up to its data array; the caller writes the values and closes both.
    private static void WriteTensorHeader(Utf8JsonWriter w, string name, string datatype, long[] shape)
    {
        WriteTensorFields(w, name, datatype, shape);
        w.WriteStartArray("data");
    }

    private static void WriteTensorFields(Utf8JsonWriter w, string name, string datatype, long[] shape)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("datatype", datatype);
        w.WriteStartArray("shape");
        foreach (var d in shape) w.WriteNumberValue(d);
        w.WriteEndArray();
    }

    private static Task Write(HttpContext context, Action<Utf8JsonWriter> body, int status = 200) =>
        JsonStreamWriter.WriteObjectAsync(context, w =>
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }, status);

    // The protocol's error body is {"error": "message"}, not the OpenAI shape the rest of the server writes.
    private static async Task Guard(HttpContext context, Func<Task> handle)
    {
        try
        {
            await handle();
        }
        catch (Exception e) when (e is ApiException or MoxingException && !context.Response.HasStarted)
        {
            var error = ApiError.From(e);
            await Write(context, w => w.WriteString("error", error.Message), error.Status);
        }
    }
}
