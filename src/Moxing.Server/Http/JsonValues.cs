using System.Text.Json;
using System.Text.Json.Nodes;

namespace Moxing.Server.Http;

/// <summary>Type tests and conversions of loose JSON values in requests.</summary>
public static class JsonValues
{
    /// <summary>True for a JSON string.</summary>
    public static bool IsString(JsonNode? n) => n is JsonValue v && v.GetValueKind() == JsonValueKind.String;

    /// <summary>True for a JSON number.</summary>
    public static bool IsNumber(JsonNode? n) => n is JsonValue v && v.GetValueKind() == JsonValueKind.Number;

    /// <summary>True for a JSON number that is a finite double (1e400 is not), with its value.</summary>
    public static bool TryGetNumber(JsonNode? n, out double value)
    {
        value = 0;
        return n is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out value) && double.IsFinite(value);
    }

    /// <summary>True for a non-empty array of numbers (token ids).</summary>
    public static bool IsIdList(JsonNode? n) => n is JsonArray { Count: > 0 } a && a.All(IsNumber);

    /// <summary>An array of numbers as token ids; anything but non-negative integers is a 400 naming <paramref name="param"/>.</summary>
    public static int[] TokenIds(JsonArray list, string param)
    {
        var ids = new int[list.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = TryGetNumber(list[i], out var d) && d == Math.Floor(d) && d >= 0 && d <= int.MaxValue
                ? (int)d : throw ApiException.BadParameter(param, $"'{param}' token ids must be non-negative integers");
        }
        return ids;
    }
}
