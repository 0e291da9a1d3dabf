using System.Text.Json;
using System.Text.Json.Nodes;

namespace Moxing.Cli;

/// <summary>Parses `--var KEY=JSON[,KEY=JSON…]` into chat-template variables (values that are not JSON stay strings).</summary>
public static class TemplateVariables
{
    /// <summary>The variables named by <paramref name="spec"/> (empty when null).</summary>
    public static Dictionary<string, object?> Parse(string? spec)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (spec == null) return result;
        foreach (var pair in spec.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0) throw new UsageException($"--var expects KEY=JSON, got '{pair}'");
            var value = pair[(eq + 1)..];
            try { result[pair[..eq]] = JsonNode.Parse(value); }
            catch (JsonException) { result[pair[..eq]] = value; }
        }
        return result;
    }
}
