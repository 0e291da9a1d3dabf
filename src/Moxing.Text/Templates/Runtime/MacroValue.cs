using Moxing.Text.Templates.Syntax;

namespace Moxing.Text.Templates.Runtime;

/// <summary>A macro (or a call block's <c>caller</c>): binds arguments like jinja2's <c>Macro.__call__</c> and renders its body.</summary>
internal sealed class MacroValue(string name, MacroSignature signature, Stmt[] body, Scope closure) : CallableValue
{
    public override string Name => name;
    public override string TypeName => "Macro";
    public override string ObjectTypeRepr => "jinja2.runtime.Macro object";
    public Stmt[] Body => body;

    public override string Describe() => $"<Macro '{name}'>";

    public override Value Call(Renderer renderer, Arguments args)
    {
        var parameters = signature.Parameters;
        var frame = new Scope(closure);
        var bound = new Value?[parameters.Length];
        var positionalUsed = Math.Min(args.Positional.Count, parameters.Length);
        for (var i = 0; i < positionalUsed; i++) bound[i] = args.Positional[i];
        var kwargs = new List<KeyValuePair<string, Value>>(args.Named);
        for (var i = positionalUsed; i < parameters.Length; i++)
        {
            var at = kwargs.FindIndex(p => p.Key == parameters[i]);
            if (at < 0) continue;
            bound[i] = kwargs[at].Value;
            kwargs.RemoveAt(at);
        }
        if (signature.UsesCaller && Array.IndexOf(parameters, "caller") < 0)
        {
            var at = kwargs.FindIndex(p => p.Key == "caller");
            Value caller = UndefinedValue.WithHint("No caller defined");
            if (at >= 0)
            {
                caller = kwargs[at].Value;
                kwargs.RemoveAt(at);
            }
            frame.Set("caller", caller);
        }
        if (signature.CatchKwargs)
        {
            var dict = new DictValue();
            foreach (var (key, value) in kwargs) dict.Set(key, value);
            frame.Set("kwargs", dict);
        }
        else if (kwargs.Count > 0)
        {
            if (kwargs.Exists(p => p.Key == "caller"))
                throw new TemplateException($"macro '{name}' was invoked with two values for the special caller argument. This is most likely a bug.");
            throw new TemplateException($"macro '{name}' takes no keyword argument '{kwargs[0].Key}'");
        }
        if (signature.CatchVarargs) frame.Set("varargs", new ListValue(args.Positional.Skip(positionalUsed).ToList(), SequenceKind.Tuple));
        else if (args.Positional.Count > parameters.Length)
            throw new TemplateException($"macro '{name}' takes not more than {parameters.Length} argument(s)");
        var firstDefault = parameters.Length - signature.Defaults.Length;
        for (var i = 0; i < parameters.Length; i++)
        {
            var value = bound[i]
                ?? (i >= firstDefault
                    ? renderer.EvalInScope(signature.Defaults[i - firstDefault], frame)
                    : UndefinedValue.WithHint($"parameter '{parameters[i]}' was not provided"));
            frame.Set(parameters[i], value);
        }
        return new StringValue(renderer.InvokeMacro(this, frame));
    }
}
