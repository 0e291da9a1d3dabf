using System.Text.Json;

namespace Moxing.Cli.Tests;

/// <summary>Command JSON stays valid when a model yields an infinity or NaN (a broken or extreme model's logits).</summary>
public sealed class JsonOutputTests
{
    [Fact]
    public void NonFiniteFloatsAreWrittenAsNamedStrings()
    {
        var output = new StringWriter();
        float[] values = [1.5f, float.PositiveInfinity, float.NegativeInfinity, float.NaN];
        JsonOutput.Write(output, w =>
        {
            w.WriteStartObject();
            w.Numbers("values", values);
            w.Matrix("rows", values, 2);
            w.WriteEndObject();
        });
        using var json = JsonDocument.Parse(output.ToString());
        var options = new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
        Assert.Equal(values, json.RootElement.GetProperty("values").Deserialize<float[]>(options));
        Assert.Equal(values, json.RootElement.GetProperty("rows").Deserialize<float[][]>(options)!.SelectMany(r => r));
    }
}
