using System.Text.Json;
using Moxing.Inference.Constraints;
using Moxing.Inference.Constraints.Json;

namespace Moxing.Inference.Tests.Constraints;

public class JsonSchemaConstraintTests
{
    public static TheoryData<string> Schemas => new()
    {
        """{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"ok":{"type":"boolean"}},"required":["name","age"],"additionalProperties":false}""",
        """{"type":"array","items":{"type":"number"},"minItems":2,"maxItems":4}""",
        """{"type":"object","properties":{"tags":{"type":"array","items":{"type":"string","maxLength":5}},"kind":{"enum":["a","b",3,null]}},"required":["kind"]}""",
        """{"type":["string","null"],"minLength":3,"maxLength":8}""",
        """{"type":"object","properties":{"id":{"type":"string","format":"uuid"},"when":{"type":"string","format":"date-time"},"day":{"type":"string","format":"date"}},"required":["id","when","day"]}""",
        """{"type":"object","properties":{"mail":{"type":"string","format":"email"},"ip":{"type":"string","format":"ipv4"}},"required":["mail","ip"],"additionalProperties":false}""",
        """{"type":"object","properties":{"code":{"type":"string","pattern":"^[A-Z]{2}-\\d{3}$"},"loose":{"type":"string","pattern":"^ab+c"}},"required":["code","loose"]}""",
        """{"type":"integer","minimum":-20,"maximum":345}""",
        """{"type":"object","properties":{"n":{"type":"integer","exclusiveMinimum":99,"maximum":1000},"m":{"type":"integer","minimum":7}},"required":["n","m"]}""",
        """{"anyOf":[{"type":"object","properties":{"x":{"type":"integer"}},"required":["x"]},{"type":"array","items":{"type":"boolean"}},{"const":"none"}]}""",
        """{"oneOf":[{"type":"object","properties":{"t":{"const":"circle"},"r":{"type":"number","minimum":0}},"required":["t","r"],"additionalProperties":false},{"type":"object","properties":{"t":{"const":"square"},"side":{"type":"integer"}},"required":["t","side"],"additionalProperties":false}]}""",
        """{"$defs":{"point":{"type":"object","properties":{"x":{"type":"number"},"y":{"type":"number"}},"required":["x","y"],"additionalProperties":false}},"type":"object","properties":{"a":{"$ref":"#/$defs/point"},"b":{"$ref":"#/$defs/point"}},"required":["a"],"additionalProperties":false}""",
        """{"definitions":{"node":{"type":"object","properties":{"v":{"type":"integer"},"next":{"anyOf":[{"$ref":"#/definitions/node"},{"type":"null"}]}},"required":["v","next"],"additionalProperties":false}},"$ref":"#/definitions/node"}""",
        """{"type":"array","prefixItems":[{"type":"string"},{"type":"integer"}],"items":{"type":"boolean"},"minItems":3}""",
        """{"type":"object","properties":{"known":{"type":"integer"}},"additionalProperties":{"type":"string"}}""",
        """{"type":"object","properties":{"s":{"type":"string","nullable":true},"f":{"type":"number","minimum":0}},"required":["s","f"],"additionalProperties":false}""",
        """{"type":"object"}""",
        """{}""",
        """{"type":"object","properties":{"empty":{"type":"array","maxItems":0},"pair":{"type":"array","prefixItems":[{"const":1},{"const":2}],"items":false}},"required":["empty","pair"],"additionalProperties":false}""",
    };

    [Theory]
    [MemberData(nameof(Schemas))]
    public void RandomWalksOverQwen3VocabularyProduceValidJson(string schemaText)
    {
        var schema = JsonDocument.Parse(schemaText).RootElement;
        var validator = new SchemaValidator(schema);
        var tokenizer = SharedTokenizers.Qwen3;
        for (var seed = 0; seed < 6; seed++)
        {
            var constraint = new JsonSchemaConstraint(schema, tokenizer);
            var text = RandomWalk.Run(constraint, tokenizer, seed);
            using var doc = JsonDocument.Parse(text);
            Assert.True(validator.Validate(doc.RootElement) is null, $"seed {seed}: {validator.Validate(doc.RootElement)} in {text}");
        }
    }

    [Fact]
    public void JsonObjectModeAllowsOnlyObjectsAtTheTop()
    {
        var tokenizer = SharedTokenizers.Qwen3;
        for (var seed = 0; seed < 20; seed++)
        {
            var text = RandomWalk.Run(JsonSchemaConstraint.AnyObject(tokenizer), tokenizer, seed);
            using var doc = JsonDocument.Parse(text);
            Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
        }
    }

    [Fact]
    public void RandomWalksOverLlama2ByteFallbackVocabularyProduceValidJson()
    {
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"name":{"type":"string"},"n":{"type":"integer"}},"required":["name","n"],"additionalProperties":false}""").RootElement;
        var tokenizer = SharedTokenizers.Llama2;
        for (var seed = 0; seed < 10; seed++)
        {
            var text = RandomWalk.Run(new JsonSchemaConstraint(schema, tokenizer), tokenizer, seed);
            using var doc = JsonDocument.Parse(text);
            Assert.Null(new SchemaValidator(schema).Validate(doc.RootElement));
        }
    }

    [Fact]
    public void EndTokenOnlyWhenTheValueIsComplete()
    {
        var tokenizer = SharedTokenizers.Qwen3;
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"],"additionalProperties":false}""").RootElement;
        var eos = tokenizer.EosTokenId!.Value;
        var constraint = new JsonSchemaConstraint(schema, tokenizer, [eos], JsonWhitespace.Compact);
        foreach (var id in tokenizer.Encode("""{"a":12""", false))
        {
            Assert.False(constraint.IsAllowed(eos));
            constraint.Accept(id);
        }
        Assert.False(constraint.CanEnd);
        Assert.Throws<InvalidOperationException>(() => constraint.Accept(eos));
        constraint.Accept(tokenizer.Encode("}", false)[0]);
        Assert.True(constraint.IsComplete);
        var logits = new float[tokenizer.VocabSize];
        constraint.Mask(logits);
        Assert.Equal(0f, logits[eos]);
        Assert.Equal(1, logits.Count(float.IsFinite));
    }

    [Fact]
    public void SpecialTokensAreNeverAllowed()
    {
        var tokenizer = SharedTokenizers.Qwen3;
        var constraint = JsonSchemaConstraint.AnyObject(tokenizer);
        var logits = new float[tokenizer.VocabSize + 100];
        constraint.Mask(logits);
        foreach (var id in tokenizer.SpecialTokenIds) Assert.True(float.IsNegativeInfinity(logits[id]));
        Assert.True(logits.AsSpan(tokenizer.VocabSize).ToArray().All(float.IsNegativeInfinity));
        Assert.True(float.IsFinite(logits[tokenizer.Encode("{", false)[0]]));
        Assert.True(float.IsNegativeInfinity(logits[tokenizer.Encode("[", false)[0]]));
    }

    [Fact]
    public void WhitespaceIsBounded()
    {
        var tokenizer = SharedTokenizers.Qwen3;
        var constraint = JsonSchemaConstraint.AnyObject(tokenizer);
        constraint.Accept(tokenizer.Encode("{", false)[0]);
        var space = tokenizer.Encode(" ", false)[0];
        Assert.True(constraint.IsAllowed(space));
        constraint.Accept(space);
        Assert.False(constraint.IsAllowed(space));
    }

    [Theory]
    [InlineData("ab+c", "xxabbbcyy", true)]
    [InlineData("ab+c", "xxacyy", false)]
    [InlineData("^ab+c$", "abbc", true)]
    [InlineData("^ab+c$", "abbcd", false)]
    [InlineData("^[^a-c]{2}\\.\\d$", "xy.5", true)]
    [InlineData("^[^a-c]{2}\\.\\d$", "xb.5", false)]
    [InlineData("^(cat|dog)s?$", "dogs", true)]
    [InlineData("^(cat|dog)s?$", "cow", false)]
    [InlineData("^\\w+@\\w+$", "a_1@b", true)]
    [InlineData("^\"q\"$", "\\\"q\\\"", true)]
    [InlineData("^é+$", "ééé", true)]
    public void PatternsMatchLikeEcmaScriptSearch(string pattern, string jsonContent, bool expected)
    {
        var schema = JsonDocument.Parse($$"""{"type":"string","pattern":{{JsonSerializer.Serialize(pattern)}}}""").RootElement;
        var constraint = new JsonSchemaConstraint(schema, SharedTokenizers.Qwen3, null, JsonWhitespace.Compact);
        var accepted = true;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes($"\"{jsonContent}\""))
        {
            var id = TokenVocabulary.For(SharedTokenizers.Qwen3).TokenBytes.ToList().FindIndex(t => t is { Length: 1 } && t[0] == b);
            if (id < 0 || !constraint.IsAllowed(id)) { accepted = false; break; }
            constraint.Accept(id);
        }
        Assert.Equal(expected, accepted && constraint.CanEnd);
    }

    public static TheoryData<string, string> Unsupported => new()
    {
        { """{"type":"object","patternProperties":{"^a":{}}}""", "patternProperties" },
        { """{"type":"array","items":{"type":"string"},"uniqueItems":true}""", "uniqueItems" },
        { """{"type":"object","properties":{"x":{"type":"number","multipleOf":3}}}""", "multipleOf" },
        { """{"not":{"type":"string"}}""", "not" },
        { """{"type":"string","format":"hostname"}""", "format" },
        { """{"type":"string","pattern":"(?=a)b"}""", "pattern" },
        { """{"type":"string","pattern":"(a)\\1"}""", "pattern" },
        { """{"type":"string","pattern":"\\bword"}""", "pattern" },
        { """{"oneOf":[{"type":"string"},{"type":"string","maxLength":3}]}""", "oneOf" },
        { """{"allOf":[{"type":"string"},{"maxLength":3}]}""", "allOf" },
        { """{"$ref":"https://example.com/schema"}""", "$ref" },
        { """{"$defs":{"a":{"anyOf":[{"$ref":"#/$defs/a"},{"type":"null"}]}},"$ref":"#/$defs/a"}""", "$ref" },
        { """{"type":"number","maximum":5.5}""", "maximum" },
        { """{"type":"object","minProperties":1}""", "minProperties" },
        { """{"if":{"type":"string"},"then":{"maxLength":2}}""", "if" },
        { """{"type":"string","minLength":2,"pattern":"a+"}""", "minLength" },
        { """{"type":"array","maxItems":100000}""", "maxItems" },
        { """{"type":"object","properties":{"deep":{"type":"array","contains":{"type":"integer"}}}}""", "contains" },
    };

    [Theory]
    [MemberData(nameof(Unsupported))]
    public void UnsupportedKeywordsThrowNamingTheKeyword(string schemaText, string keyword)
    {
        var schema = JsonDocument.Parse(schemaText).RootElement;
        var e = Assert.Throws<UnsupportedSchemaException>(() => JsonSchemaConstraint.Validate(schema));
        Assert.Equal(keyword, e.Keyword);
        Assert.StartsWith("#", e.SchemaPath);
    }

    [Fact]
    public void UnsupportedKeywordPathPointsIntoTheSchema()
    {
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"deep":{"type":"array","contains":{"type":"integer"}}}}""").RootElement;
        var e = Assert.Throws<UnsupportedSchemaException>(() => JsonSchemaConstraint.Validate(schema));
        Assert.Equal("#/properties/deep/contains", e.SchemaPath);
    }
}
