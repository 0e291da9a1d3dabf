using Moxing.Text.Templates;

namespace Moxing.Text.Tests.Templates;

/// <summary>Hostile templates fail with a TemplateException instead of hanging or exhausting memory.</summary>
public class LimitsTests
{
    private static TemplateException RenderFails(string template, TemplateLimits? limits = null) =>
        Assert.Throws<TemplateException>(() => ChatTemplate.Parse(template, limits).RenderVariables(new Dictionary<string, object?>()));

    [Fact]
    public void NestedLoopsHitTheStepLimit()
    {
        var error = RenderFails("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
            TemplateLimits.Default with { MaxSteps = 1_000_000 });
        Assert.Contains("evaluation steps", error.Message);
    }

    [Fact]
    public void UnboundedRecursionHitsTheCallDepth()
    {
        var error = RenderFails("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}");
        Assert.Contains("nested deeper", error.Message);
    }

    [Fact]
    public void DoublingStringsHitTheLengthLimit()
    {
        var error = RenderFails("{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}");
        Assert.Contains("characters", error.Message);
        Assert.Contains("characters", RenderFails("{{ 'x' * 100000000000 }}").Message);
        Assert.Contains("list", RenderFails("{{ [1] * 100000000000 }}").Message);
    }

    [Fact]
    public void OutputIsBounded()
    {
        var error = RenderFails("{% for i in range(100000) %}{{ 'abcdefghij' * 100 }}{% endfor %}", TemplateLimits.Default with { MaxOutputLength = 1_000_000 });
        Assert.Contains("output exceeded", error.Message);
    }

    [Fact]
    public void DeepNestingFailsAtParse()
    {
        var error = Assert.Throws<TemplateException>(() => ChatTemplate.Parse("{{ " + new string('(', 5000) + "1" + new string(')', 5000) + " }}"));
        Assert.Contains("nesting too deep", error.Message);
        Assert.Throws<TemplateException>(() => ChatTemplate.Parse(string.Concat(Enumerable.Repeat("{% if true %}", 5000))));
    }

    [Fact]
    public void IntegerOverflowIsAnError()
    {
        Assert.Contains("too large", RenderFails("{{ 2 ** 100 }}").Message);
    }
}
