namespace Moxing.Text.Templates.Runtime;

/// <summary>A frame of template variables; lookups walk outward, assignments stay local (jinja2 scoping).</summary>
internal sealed class Scope(Scope? parent)
{
    private Dictionary<string, Value>? _vars;

    public Scope? Parent { get; } = parent;

    public bool TryGet(string name, out Value value)
    {
        for (var s = this; s is not null; s = s.Parent)
            if (s._vars is not null && s._vars.TryGetValue(name, out value!)) return true;
        value = null!;
        return false;
    }

    public void Set(string name, Value value) => (_vars ??= new Dictionary<string, Value>(StringComparer.Ordinal))[name] = value;
}
