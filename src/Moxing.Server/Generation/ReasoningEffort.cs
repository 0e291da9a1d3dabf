using Moxing.Server.Http;

namespace Moxing.Server.Generation;

/// <summary>
/// How hard a thinking model should think, as OpenAI's reasoning effort names it, turned into the template variables that
/// express it: none switches thinking off where the template can (Qwen3's enable_thinking); every effort reaches templates
/// that read reasoning_effort (gpt-oss's low / medium / high).
/// </summary>
public static class ReasoningEffort
{
    /// <summary>The efforts OpenAI's APIs name.</summary>
    public static readonly string[] Efforts = ["none", "minimal", "low", "medium", "high", "xhigh"];

    /// <summary>Checks <paramref name="effort"/> (a 400 naming <paramref name="param"/> when it is not an effort).</summary>
    public static string Check(string effort, string param) => Efforts.Contains(effort)
        ? effort
        : throw ApiException.BadParameter(param, $"'{param}' must be one of {string.Join(", ", Efforts)}");

    /// <summary>The template variables of <paramref name="effort"/>, added to <paramref name="variables"/> (a new dictionary when null).</summary>
    public static Dictionary<string, object?> Variables(string effort, Dictionary<string, object?>? variables = null)
    {
        variables ??= new Dictionary<string, object?>(StringComparer.Ordinal);
        variables["reasoning_effort"] = effort;
        if (effort == "none") variables["enable_thinking"] = false;
        return variables;
    }

    /// <summary>A 400 naming <paramref name="param"/> when an effort other than none is asked of a model that does not reason
    /// (<paramref name="reasoning"/> null: its chat template writes no think blocks).</summary>
    public static void RequireReasoning(string? effort, ReasoningParsing? reasoning, string model, string param)
    {
        if (reasoning is null && effort is not (null or "none"))
            throw ApiException.BadParameter(param, $"'{param}' is set but '{model}' does not reason: its chat template writes no think blocks");
    }
}
