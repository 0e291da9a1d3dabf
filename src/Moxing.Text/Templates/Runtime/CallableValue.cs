namespace Moxing.Text.Templates.Runtime;

/// <summary>Anything a template can call: globals, bound methods, macros.</summary>
internal abstract class CallableValue : Value
{
    public abstract string Name { get; }
    public override string TypeName => "function";

    public abstract Value Call(Renderer renderer, Arguments args);

    public virtual string Describe() => $"<function {Name}>";
}

/// <summary>A built-in global such as <c>range</c> or <c>raise_exception</c>.</summary>
internal sealed class BuiltinFunction(string name, Func<Renderer, Arguments, Value> body) : CallableValue
{
    public override string Name => name;
    public override string TypeName => "builtin_function_or_method";

    public override Value Call(Renderer renderer, Arguments args) => body(renderer, args);

    public override string Describe() => $"<built-in function {name}>";
}

/// <summary>A method bound to its receiver, such as <c>'a b'.split</c>.</summary>
internal sealed class BoundMethod(Value receiver, string name, Func<Renderer, Value, Arguments, Value> body) : CallableValue
{
    public override string Name => name;
    public override string TypeName => "builtin_function_or_method";

    public override Value Call(Renderer renderer, Arguments args) => body(renderer, receiver, args);

    public override string Describe() => $"<built-in method {name} of {receiver.TypeName} object>";
}
