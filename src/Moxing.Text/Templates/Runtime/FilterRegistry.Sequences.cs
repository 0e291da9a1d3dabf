namespace Moxing.Text.Templates.Runtime;

internal static partial class FilterRegistry
{
    /// <summary>jinja2's <c>make_attrgetter</c>: a dotted path of item lookups (digits become integer indices).</summary>
    private static Func<Value, Value> AttributeGetter(Value? attribute, Value? fallback = null, bool ignoreCase = false)
    {
        Value[] parts = attribute switch
        {
            null or NoneValue => [],
            StringValue s => s.Value.Split('.').Select(p => p.Length > 0 && p.All(char.IsAsciiDigit) && long.TryParse(p, out var n)
                ? (Value)new IntValue(n) : new StringValue(p)).ToArray(),
            _ => [attribute],
        };
        return item =>
        {
            foreach (var part in parts)
            {
                item = Attributes.GetItem(item, part);
                if (fallback is not null && item is UndefinedValue) item = fallback;
            }
            return ignoreCase && item is StringValue s ? new StringValue(s.Value.ToLowerInvariant()) : item;
        };
    }

    private static Value Batch(Renderer r, Value v, Arguments a)
    {
        var bound = a.Bind("batch", "linecount", "fill_with");
        var size = IntArg(bound[0] ?? throw new TemplateException("batch() missing required argument 'linecount'"), 0, "linecount");
        if (size <= 0) throw new TemplateException("batch() linecount must be positive");
        var fill = bound[1] is null or NoneValue ? null : bound[1];
        return new IteratorValue(BatchItems(r.Iterate(v), (int)Math.Min(size, int.MaxValue), fill));
    }

    private static IEnumerable<Value> BatchItems(IEnumerable<Value> items, int size, Value? fill)
    {
        var current = new List<Value>();
        foreach (var item in items)
        {
            if (current.Count == size)
            {
                yield return new ListValue(current);
                current = [];
            }
            current.Add(item);
        }
        if (current.Count == 0) yield break;
        while (fill is not null && current.Count < size) current.Add(fill);
        yield return new ListValue(current);
    }

    private static Value Slice(Renderer r, Value v, Arguments a)
    {
        var bound = a.Bind("slice", "slices", "fill_with");
        var slices = IntArg(bound[0] ?? throw new TemplateException("slice() missing required argument 'slices'"), 0, "slices");
        var fill = bound[1] is null or NoneValue ? null : bound[1];
        var seq = r.Iterate(v).ToList();
        r.CheckListLength(slices);
        var result = new List<Value>();
        var perSlice = seq.Count / slices;
        var withExtra = seq.Count % slices;
        var offset = 0;
        for (var i = 0; i < slices; i++)
        {
            var start = (int)(offset + i * perSlice);
            if (i < withExtra) offset++;
            var end = (int)(offset + (i + 1) * perSlice);
            var part = seq.GetRange(start, end - start);
            if (fill is not null && i >= withExtra) part.Add(fill);
            result.Add(new ListValue(part));
        }
        return new IteratorValue(result);
    }

    private static Value DictSort(Renderer r, Value v, Arguments a)
    {
        var bound = a.Bind("dictsort", "case_sensitive", "by", "reverse");
        if (v is not DictValue d) throw new TemplateException($"'{v.TypeName}' object has no attribute 'items'");
        var position = bound[1] is null ? "key" : PythonRepr.Str(bound[1]!);
        if (position is not ("key" or "value")) throw new TemplateException("You can only sort by either \"key\" or \"value\"");
        var caseSensitive = BoolArg(bound[0], false);
        var pairs = CollectionMethods.Items(d).Items;
        return new ListValue(SortBy(r, pairs, item =>
        {
            var key = ((ListValue)item).Items[position == "key" ? 0 : 1];
            return !caseSensitive && key is StringValue s ? new StringValue(s.Value.ToLowerInvariant()) : key;
        }, BoolArg(bound[2], false)));
    }

    private static Value Sort(Renderer r, Value v, Arguments a)
    {
        var bound = a.Bind("sort", "reverse", "case_sensitive", "attribute");
        var ignoreCase = !BoolArg(bound[1], false);
        Func<Value, Value> key;
        if (bound[2] is StringValue attrs && attrs.Value.Contains(','))
        {
            var getters = attrs.Value.Split(',').Select(p => AttributeGetter(new StringValue(p), ignoreCase: ignoreCase)).ToArray();
            key = item => new ListValue(getters.Select(g => g(item)).ToList());
        }
        else key = AttributeGetter(bound[2], ignoreCase: ignoreCase);
        return new ListValue(SortBy(r, r.Iterate(v).ToList(), key, BoolArg(bound[0], false)));
    }

    /// <summary>Python's stable <c>sorted(items, key=key, reverse=reverse)</c>.</summary>
    private static List<Value> SortBy(Renderer r, List<Value> items, Func<Value, Value> key, bool reverse)
    {
        r.Charge(items.Count * (long)Math.Max(1, Math.Log2(items.Count + 1)));
        var keyed = items.Select(item => (Item: item, Key: key(item))).ToList();
        var comparer = Comparer<Value>.Create((x, y) => PythonEquality.Compare(x, y, "<") switch { 2 => 0, var c => c });
        var sorted = reverse ? keyed.OrderByDescending(p => p.Key, comparer) : keyed.OrderBy(p => p.Key, comparer);
        return sorted.Select(p => p.Item).ToList();
    }

    private static Value Unique(Renderer r, Value v, Arguments a)
    {
        var bound = a.Bind("unique", "case_sensitive", "attribute");
        var key = AttributeGetter(bound[1], ignoreCase: !BoolArg(bound[0], false));
        return new IteratorValue(UniqueItems(r.Iterate(v), key));
    }

    private static IEnumerable<Value> UniqueItems(IEnumerable<Value> items, Func<Value, Value> key)
    {
        var seen = new HashSet<Value>(PythonEquality.KeyComparer);
        foreach (var item in items)
        {
            var k = key(item);
            PythonEquality.EnsureHashable(k);
            if (seen.Add(k)) yield return item;
        }
    }

    private static Value MinMax(Renderer r, Value v, Arguments a, string name, int want)
    {
        var bound = a.Bind(name, "case_sensitive", "attribute");
        var key = AttributeGetter(bound[1], ignoreCase: !BoolArg(bound[0], false));
        Value? best = null, bestKey = null;
        foreach (var item in r.Iterate(v))
        {
            r.Charge();
            var k = key(item);
            if (best is null || PythonEquality.Compare(k, bestKey!, want < 0 ? "<" : ">") == want)
            {
                best = item;
                bestKey = k;
            }
        }
        return best ?? UndefinedValue.WithHint("No aggregated item, sequence was empty.");
    }

    private static Value Items(Renderer r, Value v, Arguments a)
    {
        a.ExpectNone("items");
        return v switch
        {
            UndefinedValue => new IteratorValue([]),
            DictValue d => new IteratorValue(CollectionMethods.Items(d).Items),
            _ => throw new TemplateException("Can only get item pairs from a mapping."),
        };
    }

    private static Value Reverse(Renderer r, Value v, Arguments a)
    {
        a.ExpectNone("reverse");
        switch (v)
        {
            case StringValue s:
                var points = CodePoints.Of(s.Value);
                Array.Reverse(points);
                return new StringValue(string.Concat(points.Select(CodePoints.Text)));
            case ListValue l:
                var reversed = new List<Value>(l.Items);
                reversed.Reverse();
                return new IteratorValue(reversed, l.Kind == SequenceKind.List ? "list_reverseiterator" : "reversed");
            case DictValue d:
                return new IteratorValue(d.Keys.Reverse(), "dict_reversekeyiterator");
            default:
                var list = r.Iterate(v).ToList();
                list.Reverse();
                return new ListValue(list);
        }
    }

    private static Value GroupBy(Renderer r, Value v, Arguments a)
    {
        var bound = a.Bind("groupby", "attribute", "default", "case_sensitive");
        var caseSensitive = BoolArg(bound[2], false);
        var fallback = bound[1] is null or NoneValue ? null : bound[1];
        var key = AttributeGetter(bound[0] ?? throw new TemplateException("groupby() missing required argument 'attribute'"), fallback, ignoreCase: !caseSensitive);
        var output = AttributeGetter(bound[0], fallback);
        var groups = new List<Value>();
        List<Value>? current = null;
        Value? currentKey = null;
        foreach (var item in SortBy(r, r.Iterate(v).ToList(), key, false))
        {
            var k = key(item);
            if (current is null || !PythonEquality.AreEqual(k, currentKey!))
            {
                current = [];
                currentKey = k;
                groups.Add(new ListValue([caseSensitive ? k : output(item), new ListValue(current)], SequenceKind.Tuple) { FieldNames = ["grouper", "list"] });
            }
            current.Add(item);
        }
        return new ListValue(groups);
    }

    private static Value Map(Renderer r, Value v, Arguments a)
    {
        if (!v.IsTruthy) return new IteratorValue([]);
        Func<Value, Value> transform;
        if (a.Positional.Count == 0 && a.Named.Exists(p => p.Key == "attribute"))
        {
            var bound = a.Bind("map", "attribute", "default");
            transform = AttributeGetter(bound[0], bound[1] is null or NoneValue ? null : bound[1]);
        }
        else
        {
            if (a.Positional.Count == 0) throw new TemplateException("map requires a filter argument");
            var name = PythonRepr.Str(a.Positional[0]);
            var rest = a.Skip(1);
            transform = item => Apply(r, name, item, rest);
        }
        return new IteratorValue(r.Iterate(v).Select(item =>
        {
            r.Charge();
            return transform(item);
        }));
    }

    private static Value SelectOrReject(Renderer r, Value v, Arguments a, bool lookupAttribute, bool select)
    {
        if (!v.IsTruthy) return new IteratorValue([]);
        var offset = 0;
        Func<Value, Value> transform = x => x;
        if (lookupAttribute)
        {
            if (a.Positional.Count == 0) throw new TemplateException("Missing parameter for attribute name");
            transform = AttributeGetter(a.Positional[0]);
            offset = 1;
        }
        Func<Value, bool> predicate = x => x.IsTruthy;
        if (a.Positional.Count > offset)
        {
            var test = PythonRepr.Str(a.Positional[offset]);
            var rest = new Arguments(a.Positional.Count > offset + 1 ? a.Positional[(offset + 1)..] : [], a.Named);
            predicate = x => TestRegistry.Apply(r, test, x, rest);
        }
        return new IteratorValue(r.Iterate(v).Where(item =>
        {
            r.Charge();
            return predicate(transform(item)) == select;
        }));
    }

    /// <summary>transformers' <c>tojson</c>: <c>json.dumps(x, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)</c>.</summary>
    private static Value ToJson(Renderer r, Value v, Arguments a)
    {
        var bound = a.Bind("tojson", "ensure_ascii", "indent", "separators", "sort_keys");
        return new StringValue(JsonDumper.Dumps(r, v, BoolArg(bound[0], false), bound[1], bound[2], BoolArg(bound[3], false)));
    }
}
