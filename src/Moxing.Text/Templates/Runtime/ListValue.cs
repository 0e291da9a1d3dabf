namespace Moxing.Text.Templates.Runtime;

/// <summary>Python sequence flavours the templates can meet: lists, tuples, and dict views.</summary>
internal enum SequenceKind { List, Tuple, DictKeys, DictValues, DictItems, Range }

/// <summary>An immutable-in-practice Python list, tuple or dict view.</summary>
internal sealed class ListValue(List<Value> items, SequenceKind kind = SequenceKind.List) : Value
{
    public static ListValue EmptyList => new([]);

    public List<Value> Items { get; } = items;
    public SequenceKind Kind { get; } = kind;
    public int Count => Items.Count;
    public bool IsSubscriptable => Kind is SequenceKind.List or SequenceKind.Tuple or SequenceKind.Range;

    /// <summary>Lists and tuples concatenate and repeat; ranges and views do not.</summary>
    public bool IsConcatenable => Kind is SequenceKind.List or SequenceKind.Tuple;

    /// <summary>For a range: how Python prints it (<c>range(0, 3)</c>).</summary>
    public string? RangeRepr { get; init; }

    /// <summary>Field names of a named tuple (groupby's <c>grouper</c>/<c>list</c>), readable as attributes.</summary>
    public string[]? FieldNames { get; init; }

    public override string TypeName => Kind switch
    {
        SequenceKind.List => "list",
        SequenceKind.Tuple => "tuple",
        SequenceKind.DictKeys => "dict_keys",
        SequenceKind.DictValues => "dict_values",
        SequenceKind.Range => "range",
        _ => "dict_items",
    };

    public override bool IsTruthy => Items.Count > 0;

    public static ListValue Tuple(params Value[] items) => new([.. items], SequenceKind.Tuple);
}

/// <summary>A one-shot Python iterator or generator (what <c>map</c>, <c>select</c>, <c>reverse</c> return): always truthy, no length.</summary>
internal sealed class IteratorValue(IEnumerable<Value> source, string typeName = "generator") : Value
{
    private IEnumerator<Value>? _enumerator = source.GetEnumerator();

    public override string TypeName { get; } = typeName;

    /// <summary>Yields the remaining items, consuming them.</summary>
    public IEnumerable<Value> Drain()
    {
        var e = _enumerator;
        if (e is null) yield break;
        while (e.MoveNext()) yield return e.Current;
        _enumerator = null;
    }
}
