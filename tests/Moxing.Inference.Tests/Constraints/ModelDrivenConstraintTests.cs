using System.Text.Json;
using Moxing.Inference.Constraints;
using Moxing.Inference.Sessions;
using Moxing.Models;
using Moxing.Tests;

namespace Moxing.Inference.Tests.Constraints;

public class ModelDrivenConstraintTests
{
    [Fact]
    public void GreedyDecodingUnderTheConstraintYieldsValidJson()
    {
        using var model = ModelLoader.Load(Fixtures.Path("hf", "models", "qwen3-tiny-realvocab"));
        var tokenizer = model.RequireTokenizer();
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"name":{"type":"string","maxLength":10},"n":{"type":"integer","minimum":0,"maximum":99},"ok":{"type":"boolean"}},"required":["name","n","ok"],"additionalProperties":false}""").RootElement;
        var constraint = new JsonSchemaConstraint(schema, tokenizer, model.EosTokenIds);
        var session = new InferenceSession(model.RequireDecoder(), 256);
        var logits = session.Prefill(tokenizer.Encode("Reply in JSON: ", false));
        var ids = new List<int>();
        for (var step = 0; step < 120 && !constraint.IsComplete; step++)
        {
            constraint.Mask(logits);
            var id = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits);
            if (model.EosTokenIds.Contains(id)) break;
            constraint.Accept(id);
            ids.Add(id);
            logits = session.Decode(id);
        }
        var text = tokenizer.Decode([.. ids], false);
        Assert.True(constraint.CanEnd, text);
        using var doc = JsonDocument.Parse(text);
        Assert.Null(new SchemaValidator(schema).Validate(doc.RootElement));
    }
}
