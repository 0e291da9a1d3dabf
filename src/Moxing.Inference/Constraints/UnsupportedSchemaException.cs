using Moxing.Core;

namespace Moxing.Inference.Constraints;

/// <summary>A JSON Schema uses a keyword (or a value of one) that constrained decoding cannot enforce.</summary>
/// <param name="keyword">The keyword that cannot be enforced.</param>
/// <param name="path">Where it is in the schema, as a JSON Pointer-like path ($/properties/name/…).</param>
/// <param name="reason">Why it cannot be enforced.</param>
public sealed class UnsupportedSchemaException(string keyword, string path, string reason)
    : MoxingException($"JSON schema keyword '{keyword}' at {path} cannot be enforced: {reason}")
{
    /// <summary>The keyword that cannot be enforced.</summary>
    public string Keyword { get; } = keyword;

    /// <summary>Where it is in the schema.</summary>
    public string SchemaPath { get; } = path;
}
