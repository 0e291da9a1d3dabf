namespace Moxing.Text.Templates.Runtime;

/// <summary>The <c>loop</c> object of a for loop: index, first/last, neighbours, cycle, changed, and recursion.</summary>
internal sealed class LoopValue(List<Value> items, int depth0, Func<Value, int, string>? recurse) : Value
{
    private Value[]? _lastChanged;

    public int Index0 { get; set; }
    public override string TypeName => "LoopContext";
    public override string ObjectTypeRepr => "jinja2.runtime.LoopContext object";
    public override bool IsTruthy => items.Count > 0;

    public string Describe() => $"<LoopContext {Index0 + 1}/{items.Count}>";

    public Value? Attribute(string name) => name switch
    {
        "index0" => new IntValue(Index0),
        "index" => new IntValue(Index0 + 1),
        "revindex0" => new IntValue(items.Count - Index0 - 1),
        "revindex" => new IntValue(items.Count - Index0),
        "first" => BoolValue.Of(Index0 == 0),
        "last" => BoolValue.Of(Index0 == items.Count - 1),
        "length" => new IntValue(items.Count),
        "depth0" => new IntValue(depth0),
        "depth" => new IntValue(depth0 + 1),
        "previtem" => Index0 > 0 ? items[Index0 - 1] : UndefinedValue.WithHint("there is no previous item"),
        "nextitem" => Index0 + 1 < items.Count ? items[Index0 + 1] : UndefinedValue.WithHint("there is no next item"),
        "cycle" => new BoundMethod(this, "cycle", (_, _, args) => Cycle(args)),
        "changed" => new BoundMethod(this, "changed", (_, _, args) => Changed(args)),
        _ => null,
    };

    private Value Cycle(Arguments args)
    {
        if (args.Named.Count > 0) throw new TemplateException($"cycle() got an unexpected keyword argument '{args.Named[0].Key}'");
        if (args.Positional.Count == 0) throw new TemplateException("no items for cycling given");
        return args.Positional[Index0 % args.Positional.Count];
    }

    private BoolValue Changed(Arguments args)
    {
        var values = args.Positional.ToArray();
        if (_lastChanged is not null && _lastChanged.Length == values.Length &&
            _lastChanged.Zip(values).All(p => PythonEquality.AreEqual(p.First, p.Second)))
            return BoolValue.False;
        _lastChanged = values;
        return BoolValue.True;
    }

    /// <summary>Calling <c>loop(children)</c> in a recursive loop renders the body for the children one level deeper.</summary>
    public Value CallRecursive(Arguments args)
    {
        if (recurse is null) throw new TemplateException("The loop must have the 'recursive' marker to be called recursively.");
        var bound = args.Bind("loop", "iterable");
        return new StringValue(recurse(bound[0] ?? throw new TemplateException("loop() missing required argument 'iterable'"), depth0 + 1));
    }
}
