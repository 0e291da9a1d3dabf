namespace Moxing.Text.Templates.Runtime;

/// <summary>A template value with Python semantics (truthiness, type name for messages).</summary>
internal abstract class Value
{
    /// <summary>The Python type name used in error messages (<c>str</c>, <c>dict</c>, <c>NoneType</c>).</summary>
    public abstract string TypeName { get; }

    /// <summary>Python truthiness.</summary>
    public virtual bool IsTruthy => true;

    /// <summary>jinja2's <c>object_type_repr</c>: <c>'dict object'</c>, <c>None</c>.</summary>
    public virtual string ObjectTypeRepr => TypeName + " object";
}

internal sealed class NoneValue : Value
{
    public static NoneValue Instance { get; } = new();

    private NoneValue() { }

    public override string TypeName => "NoneType";
    public override bool IsTruthy => false;
    public override string ObjectTypeRepr => "None";
}

internal sealed class BoolValue : Value
{
    public static BoolValue True { get; } = new(true);
    public static BoolValue False { get; } = new(false);

    private BoolValue(bool value) => Value = value;

    public bool Value { get; }
    public override string TypeName => "bool";
    public override bool IsTruthy => Value;

    public static BoolValue Of(bool value) => value ? True : False;
}

internal sealed class IntValue(long value) : Value
{
    public long Value { get; } = value;
    public override string TypeName => "int";
    public override bool IsTruthy => Value != 0;
}

internal sealed class FloatValue(double value) : Value
{
    public double Value { get; } = value;
    public override string TypeName => "float";
    public override bool IsTruthy => Value != 0;
}

/// <summary>A Python str; <see cref="IsSafe"/> marks markupsafe's <c>Markup</c> (from <c>safe</c>/<c>escape</c>), which escapes what is added to it.</summary>
internal sealed class StringValue(string value, bool isSafe = false) : Value
{
    public static StringValue Empty { get; } = new("");

    public string Value { get; } = value;
    public bool IsSafe { get; } = isSafe;
    public override string TypeName => IsSafe ? "Markup" : "str";
    public override bool IsTruthy => Value.Length > 0;

    /// <summary>A string of the same kind (Markup stays Markup), for str methods that Markup overrides.</summary>
    public StringValue Derive(string text) => new(text, IsSafe);

    /// <summary>markupsafe's <c>escape()</c>: Markup passes through; anything else is stringified and HTML-escaped.</summary>
    public static StringValue Escape(Value v) => v is StringValue { IsSafe: true } s ? s : new StringValue(HtmlEscape(PythonRepr.Str(v)), true);

    public static string HtmlEscape(string s)
    {
        if (s.AsSpan().IndexOfAny("&<>\"'") < 0) return s;
        var sb = new System.Text.StringBuilder(s.Length + 16);
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&#34;",
                '\'' => "&#39;",
                _ => c.ToString(),
            });
        }
        return sb.ToString();
    }
}

/// <summary>jinja2's <c>namespace()</c>: the only object whose attributes templates may assign.</summary>
internal sealed class NamespaceValue(DictValue attributes) : Value
{
    public DictValue Attributes { get; } = attributes;
    public override string TypeName => "Namespace";
    public override string ObjectTypeRepr => "jinja2.utils.Namespace object";
}
