namespace Moxing.Text.Templates.Runtime;

/// <summary>
/// jinja2's default <c>Undefined</c>: prints empty, is falsy, iterates as empty, and raises on any other use
/// with a message saying how it was reached.
/// </summary>
internal sealed class UndefinedValue : Value
{
    private readonly string? _hint;
    private readonly Value? _owner;
    private readonly Value? _key;
    private readonly string? _name;

    private UndefinedValue(string? hint, Value? owner, Value? key, string? name, bool security)
    {
        _hint = hint;
        _owner = owner;
        _key = key;
        _name = name;
        IsSecurityViolation = security;
    }

    public static UndefinedValue Named(string name) => new(null, null, null, name, false);

    public static UndefinedValue WithHint(string hint) => new(hint, null, null, null, false);

    /// <summary>A missing attribute or item of <paramref name="owner"/>.</summary>
    public static UndefinedValue Missing(Value owner, Value key) => new(null, owner, key, null, false);

    /// <summary>An attribute the immutable sandbox refuses (mutating methods, private names).</summary>
    public static UndefinedValue Unsafe(Value owner, string attribute) =>
        new($"access to attribute '{attribute}' of '{owner.TypeName}' object is unsafe.", owner, new StringValue(attribute), null, true);

    public bool IsSecurityViolation { get; }
    public override string TypeName => "Undefined";
    public override bool IsTruthy => false;

    public string Message
    {
        get
        {
            if (_hint is not null) return _hint;
            if (_owner is null) return $"'{_name}' is undefined";
            if (_key is StringValue s) return $"'{_owner.ObjectTypeRepr}' has no attribute '{s.Value}'";
            return $"{_owner.ObjectTypeRepr} has no element {PythonRepr.Of(_key!)}";
        }
    }

    /// <summary>The error jinja2 raises when an undefined value is used beyond printing, testing or iterating.</summary>
    public TemplateException Fail() => new(Message);
}
