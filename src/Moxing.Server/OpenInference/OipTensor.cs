using System.Text.Json;
using System.Text.Json.Nodes;
using Moxing.Server.Http;

namespace Moxing.Server.OpenInference;

/// <summary>One input tensor of an Open Inference Protocol v2 request: name, shape, datatype and its data (flat or nested row-major).</summary>
public sealed record OipTensor(string Name, long[] Shape, string Datatype, float[]? Numbers, string[]? Strings)
{
    /// <summary>Most values one request may carry (64 Mi floats of JSON would be far more than a classifier batch).</summary>
    public const long MaxValues = 1 << 24;

    /// <summary>Elements the shape holds.</summary>
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Reads and checks <paramref name="input"/> (inputs[<paramref name="index"/>]): a positive shape whose size matches the data.</summary>
    public static OipTensor Read(JsonRequest input, int index)
    {
        var where = $"inputs[{index}]";
        var name = input.String("name") ?? throw new ApiException(400, $"{where}.name is required");
        var datatype = input.String("datatype") ?? throw new ApiException(400, $"{where} ('{name}'): datatype is required");
        var shapeNode = input.Array("shape") ?? throw new ApiException(400, $"{where} ('{name}'): shape is required (an array of sizes)");
        var shape = new long[shapeNode.Count];
        for (var i = 0; i < shape.Length; i++)
            shape[i] = JsonValues.TryGetNumber(shapeNode[i], out var d) && d >= 0 && d == Math.Floor(d) && d <= MaxValues
                ? (long)d : throw new ApiException(400, $"{where} ('{name}'): shape[{i}] must be a size from 0 to {MaxValues}");
        var count = shape.Aggregate(1.0, (a, b) => a * b);
        if (shape.Length == 0 || count > MaxValues) throw new ApiException(400, $"{where} ('{name}'): shape [{string.Join(", ", shape)}] must have 1 or more dimensions and at most {MaxValues} elements");
        var data = input.Array("data") ?? throw new ApiException(400, $"{where} ('{name}'): data is required");
        input.Object("parameters");
        input.RejectUnknown();
        var flat = new List<JsonNode?>((int)count);
        Flatten(data, flat, (int)count, where, name);
        if (flat.Count != (int)count)
            throw new ApiException(400, $"{where} ('{name}'): shape [{string.Join(", ", shape)}] holds {count} elements but data has {flat.Count}");
        if (datatype == "BYTES")
        {
            var strings = new string[flat.Count];
            for (var i = 0; i < strings.Length; i++)
                strings[i] = JsonValues.IsString(flat[i]) ? flat[i]!.GetValue<string>() : throw new ApiException(400, $"{where} ('{name}'): BYTES data must be strings");
            return new OipTensor(name, shape, datatype, null, strings);
        }
        if (datatype is not ("FP32" or "FP64" or "FP16" or "INT8" or "INT16" or "INT32" or "INT64" or "UINT8" or "UINT16" or "UINT32" or "UINT64"))
            throw new ApiException(400, $"{where} ('{name}'): datatype '{datatype}' is not a tensor datatype of the protocol");
        var numbers = new float[flat.Count];
        for (var i = 0; i < numbers.Length; i++)
            numbers[i] = JsonValues.TryGetNumber(flat[i], out var x) && float.IsFinite((float)x) ? (float)x
                : throw new ApiException(400, $"{where} ('{name}'): {datatype} data must be finite FP32 numbers, element {i} is not");
        return new OipTensor(name, shape, datatype, numbers, null);
    }

    // Row-major nesting is allowed by the protocol; stop as soon as the data is larger than the shape says.
    private static void Flatten(JsonArray array, List<JsonNode?> flat, int limit, string where, string name)
    {
        foreach (var item in array)
        {
            if (item is JsonArray inner) Flatten(inner, flat, limit, where, name);
            else flat.Add(item);
            if (flat.Count > limit) throw new ApiException(400, $"{where} ('{name}'): data has more elements than shape's {limit}");
        }
    }
}
