namespace Moxing.Text.Templates.Runtime;

/// <summary>Python <c>dict</c> and <c>list</c> methods; the mutating ones are unsafe in jinja2's immutable sandbox.</summary>
internal static class CollectionMethods
{
    private static readonly HashSet<string> UnsafeDictMethods = ["clear", "pop", "popitem", "setdefault", "update"];
    private static readonly HashSet<string> UnsafeListMethods = ["append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort"];

    public static Value? GetDictMethod(Value receiver, string name)
    {
        if (UnsafeDictMethods.Contains(name)) return UndefinedValue.Unsafe(receiver, name);
        return name switch
        {
            "items" => Method(receiver, name, (_, d, a) => View(d, a, "items", SequenceKind.DictItems)),
            "keys" => Method(receiver, name, (_, d, a) => View(d, a, "keys", SequenceKind.DictKeys)),
            "values" => Method(receiver, name, (_, d, a) => View(d, a, "values", SequenceKind.DictValues)),
            "get" => Method(receiver, name, (_, d, a) => Get(d, a)),
            "copy" => Method(receiver, name, (_, d, a) =>
            {
                a.ExpectNone("copy");
                return d.Copy();
            }),
            _ => null,
        };
    }

    private static BoundMethod Method(Value receiver, string name, Func<Renderer, DictValue, Arguments, Value> body) =>
        new(receiver, name, (r, self, args) => body(r, (DictValue)self, args));

    private static ListValue View(DictValue d, Arguments a, string name, SequenceKind kind)
    {
        a.ExpectNone(name);
        return kind switch
        {
            SequenceKind.DictKeys => new ListValue([.. d.Keys], kind),
            SequenceKind.DictValues => new ListValue([.. d.Values], kind),
            _ => new ListValue(d.Pairs().Select(p => (Value)ListValue.Tuple(p.Key, p.Value)).ToList(), kind),
        };
    }

    /// <summary>The items of a dict as a list of (key, value) tuples.</summary>
    public static ListValue Items(DictValue d) => View(d, Arguments.Empty, "items", SequenceKind.DictItems);

    private static Value Get(DictValue d, Arguments a)
    {
        if (a.Named.Count > 0) throw new TemplateException("get() takes no keyword arguments");
        if (a.Positional.Count is < 1 or > 2) throw new TemplateException($"get expected at most 2 arguments, got {a.Positional.Count}");
        return d.TryGet(a.Positional[0], out var v) ? v : a.Positional.Count > 1 ? a.Positional[1] : NoneValue.Instance;
    }

    public static Value? GetListMethod(ListValue list, string name)
    {
        if (list.Kind == SequenceKind.List && UnsafeListMethods.Contains(name)) return UndefinedValue.Unsafe(list, name);
        if (!list.IsSubscriptable) return null;
        if (list.FieldNames is { } fields && Array.IndexOf(fields, name) is var field and >= 0) return list.Items[field];
        return name switch
        {
            "count" => new BoundMethod(list, name, (r, self, a) =>
            {
                var item = Single(a, "count");
                r.Charge(((ListValue)self).Count);
                return new IntValue(((ListValue)self).Items.Count(x => PythonEquality.AreEqual(x, item)));
            }),
            "index" => new BoundMethod(list, name, (r, self, a) =>
            {
                var item = Single(a, "index");
                var index = ((ListValue)self).Items.FindIndex(x => PythonEquality.AreEqual(x, item));
                return index >= 0 ? new IntValue(index) : throw new TemplateException($"{PythonRepr.Of(item)} is not in list");
            }),
            "copy" when list.Kind == SequenceKind.List => new BoundMethod(list, name, (_, self, a) =>
            {
                a.ExpectNone("copy");
                return new ListValue([.. ((ListValue)self).Items]);
            }),
            _ => null,
        };
    }

    private static Value Single(Arguments a, string name)
    {
        if (a.Named.Count > 0 || a.Positional.Count != 1)
            throw new TemplateException($"{name}() takes exactly one argument ({a.Positional.Count} given)");
        return a.Positional[0];
    }
}
