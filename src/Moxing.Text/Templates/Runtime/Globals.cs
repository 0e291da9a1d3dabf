namespace Moxing.Text.Templates.Runtime;

/// <summary>Template globals: jinja2's <c>range</c>, <c>dict</c>, <c>namespace</c>, <c>cycler</c>, <c>joiner</c>, and transformers' <c>raise_exception</c>, <c>strftime_now</c>.</summary>
internal static class Globals
{
    /// <summary>jinja2's sandbox refuses ranges longer than this.</summary>
    private const int MaxRange = 100_000;

    public static Scope Create()
    {
        var scope = new Scope(null);
        scope.Set("range", new BuiltinFunction("range", (r, a) => Range(r, a)));
        scope.Set("dict", new BuiltinFunction("dict", (r, a) => Dict(r, a)));
        scope.Set("namespace", new BuiltinFunction("namespace", (r, a) => new NamespaceValue(Dict(r, a))));
        scope.Set("cycler", new BuiltinFunction("cycler", (_, a) => new CyclerValue(a)));
        scope.Set("joiner", new BuiltinFunction("joiner", (_, a) => new JoinerValue(a)));
        scope.Set("raise_exception", new BuiltinFunction("raise_exception", (_, a) =>
            throw new TemplateException(PythonRepr.Str(a.Bind("raise_exception", "message")[0] ?? NoneValue.Instance)) { RaisedByTemplate = true }));
        scope.Set("strftime_now", new BuiltinFunction("strftime_now", (r, a) =>
        {
            var format = a.Bind("strftime_now", "format")[0] as StringValue ?? throw new TemplateException("strftime_now() argument must be str");
            return new StringValue(StrfTime.Format(r.Clock.GetLocalNow().DateTime, format.Value));
        }));
        return scope;
    }

    private static ListValue Range(Renderer r, Arguments a)
    {
        if (a.Named.Count > 0) throw new TemplateException("range() takes no keyword arguments");
        var n = a.Positional.Select(v => v switch
        {
            IntValue i => i.Value,
            BoolValue b => b.Value ? 1L : 0L,
            _ => throw new TemplateException($"'{v.TypeName}' object cannot be interpreted as an integer"),
        }).ToArray();
        var (start, stop, step) = n.Length switch
        {
            1 => (0L, n[0], 1L),
            2 => (n[0], n[1], 1L),
            3 => (n[0], n[1], n[2]),
            _ => throw new TemplateException($"range expected at most 3 arguments, got {n.Length}"),
        };
        if (step == 0) throw new TemplateException("range() arg 3 must not be zero");
        var count = step > 0 ? (stop > start ? (stop - start + step - 1) / step : 0) : (start > stop ? (start - stop - step - 1) / -step : 0);
        if (count > MaxRange) throw new TemplateException($"Range too big. The sandbox blocks ranges larger than MAX_RANGE ({MaxRange}).");
        r.Charge(count);
        var items = new List<Value>((int)count);
        for (var i = 0; i < count; i++) items.Add(new IntValue(start + i * step));
        var repr = step == 1 ? $"range({start}, {stop})" : $"range({start}, {stop}, {step})";
        return new ListValue(items, SequenceKind.Range) { RangeRepr = repr };
    }

    /// <summary>Python <c>dict(mapping_or_pairs, **kwargs)</c>.</summary>
    private static DictValue Dict(Renderer r, Arguments a)
    {
        if (a.Positional.Count > 1) throw new TemplateException($"dict expected at most 1 argument, got {a.Positional.Count}");
        var dict = new DictValue();
        if (a.Positional.Count == 1)
        {
            if (a.Positional[0] is DictValue source) foreach (var (k, v) in source.Pairs()) dict.Set(k, v);
            else
            {
                foreach (var pair in r.Iterate(a.Positional[0]))
                {
                    var items = r.Iterate(pair).ToList();
                    if (items.Count != 2) throw new TemplateException("dictionary update sequence element has wrong length; 2 is required");
                    dict.Set(items[0], items[1]);
                }
            }
        }
        foreach (var (key, value) in a.Named) dict.Set(key, value);
        return dict;
    }
}

/// <summary>jinja2's <c>cycler(*items)</c>: <c>next()</c>, <c>reset()</c>, <c>current</c>.</summary>
internal sealed class CyclerValue : ObjectWithAttributes
{
    private readonly List<Value> _items;
    private int _position;

    public CyclerValue(Arguments args)
    {
        if (args.Positional.Count == 0) throw new TemplateException("at least one item has to be provided");
        _items = args.Positional;
    }

    public override string TypeName => "Cycler";

    public override Value? Attribute(string name) => name switch
    {
        "current" => _items[_position],
        "next" => new BoundMethod(this, name, (_, _, _) =>
        {
            var value = _items[_position];
            _position = (_position + 1) % _items.Count;
            return value;
        }),
        "reset" => new BoundMethod(this, name, (_, _, _) =>
        {
            _position = 0;
            return NoneValue.Instance;
        }),
        _ => null,
    };
}

/// <summary>jinja2's <c>joiner(sep)</c>: returns "" the first time it is called, the separator afterwards.</summary>
internal sealed class JoinerValue(Arguments args) : CallableValue
{
    private readonly string _separator = PythonRepr.Str(args.Bind("joiner", "sep")[0] ?? new StringValue(", "));
    private bool _used;

    public override string Name => "joiner";
    public override string TypeName => "Joiner";

    public override Value Call(Renderer renderer, Arguments args)
    {
        if (_used) return new StringValue(_separator);
        _used = true;
        return StringValue.Empty;
    }
}
