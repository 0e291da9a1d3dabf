namespace Moxing.Text.Templates.Runtime;

/// <summary>
/// jinja2's sandboxed attribute and item lookup: <c>x.name</c> tries the Python attribute first and then the item;
/// <c>x[key]</c> tries the item first and then the attribute; a miss is undefined, an unsafe attribute is an unsafe undefined.
/// </summary>
internal static class Attributes
{
    public static Value GetAttr(Value obj, string name)
    {
        if (obj is UndefinedValue u) throw u.Fail();
        if (TryPythonAttribute(obj, name, out var attr)) return attr;
        var key = new StringValue(name);
        return TrySubscript(obj, key, out var item) ? item : UndefinedValue.Missing(obj, key);
    }

    public static Value GetItem(Value obj, Value key)
    {
        if (obj is UndefinedValue u) throw u.Fail();
        if (TrySubscript(obj, key, out var item)) return item;
        if (key is StringValue s && TryPythonAttribute(obj, s.Value, out var attr)) return attr;
        return UndefinedValue.Missing(obj, key);
    }

    private static bool TryPythonAttribute(Value obj, string name, out Value attr)
    {
        if (name.StartsWith("__", StringComparison.Ordinal) && name.EndsWith("__", StringComparison.Ordinal) && name.Length > 4)
        {
            attr = UndefinedValue.Unsafe(obj, name);
            return true;
        }
        var found = obj switch
        {
            StringValue => StringMethods.Get(obj, name),
            DictValue => CollectionMethods.GetDictMethod(obj, name),
            ListValue l => CollectionMethods.GetListMethod(l, name),
            NamespaceValue ns => ns.Attributes.TryGet(name, out var v) ? v : null,
            LoopValue loop => loop.Attribute(name),
            ObjectWithAttributes o => o.Attribute(name),
            _ => null,
        };
        attr = found!;
        return found is not null;
    }

    private static bool TrySubscript(Value obj, Value key, out Value item)
    {
        item = null!;
        switch (obj)
        {
            case DictValue d:
                return d.TryGet(key, out item);
            case ListValue { IsSubscriptable: true } l when TryIndex(key, out var index):
                if (index < 0) index += l.Count;
                if (index < 0 || index >= l.Count) return false;
                item = l.Items[(int)index];
                return true;
            case StringValue s when TryIndex(key, out var index):
                var points = CodePoints.Of(s.Value);
                if (index < 0) index += points.Length;
                if (index < 0 || index >= points.Length) return false;
                item = new StringValue(CodePoints.Text(points[index]));
                return true;
            default:
                return false;
        }
    }

    private static bool TryIndex(Value key, out long index)
    {
        switch (key)
        {
            case IntValue i: index = i.Value; return true;
            case BoolValue b: index = b.Value ? 1 : 0; return true;
            default: index = 0; return false;
        }
    }

    /// <summary>Python slicing <c>x[start:stop:step]</c> of lists, tuples and strings.</summary>
    public static Value Slice(Renderer r, Value obj, Value? start, Value? stop, Value? step)
    {
        if (obj is UndefinedValue u) throw u.Fail();
        long? Bound(Value? v) => v is null or NoneValue ? null : TryIndex(v, out var i) ? i : throw new InvalidCastException();
        long? s0, s1, s2;
        try
        {
            (s0, s1, s2) = (Bound(start), Bound(stop), Bound(step));
        }
        catch (InvalidCastException)
        {
            return UndefinedValue.WithHint($"{obj.ObjectTypeRepr} has no element slice");
        }
        var stepValue = s2 ?? 1;
        if (stepValue == 0) throw new TemplateException("slice step cannot be zero");
        switch (obj)
        {
            case ListValue { IsSubscriptable: true } l:
                {
                    var picked = new List<Value>();
                    foreach (var i in SliceIndices(l.Count, s0, s1, stepValue)) picked.Add(l.Items[i]);
                    r.Charge(picked.Count);
                    return new ListValue(picked, l.Kind == SequenceKind.Range ? SequenceKind.List : l.Kind);
                }
            case StringValue s:
                {
                    var points = CodePoints.Of(s.Value);
                    var sb = new System.Text.StringBuilder();
                    foreach (var i in SliceIndices(points.Length, s0, s1, stepValue)) sb.Append(CodePoints.Text(points[i]));
                    r.Charge(sb.Length);
                    return new StringValue(sb.ToString());
                }
            default:
                return UndefinedValue.WithHint($"{obj.ObjectTypeRepr} has no element slice");
        }
    }

    /// <summary>The indices Python's <c>slice.indices(length)</c> visits.</summary>
    public static IEnumerable<int> SliceIndices(int length, long? start, long? stop, long step)
    {
        long lo, hi;
        if (step > 0)
        {
            lo = start is null ? 0 : Clamp(start.Value, length, 0, length);
            hi = stop is null ? length : Clamp(stop.Value, length, 0, length);
            for (var i = lo; i < hi; i += step) yield return (int)i;
        }
        else
        {
            lo = start is null ? length - 1 : Clamp(start.Value, length, -1, length - 1);
            hi = stop is null ? -1 : Clamp(stop.Value, length, -1, length - 1);
            for (var i = lo; i > hi; i += step) yield return (int)i;
        }
    }

    private static long Clamp(long index, int length, long min, long max)
    {
        if (index < 0) index += length;
        return Math.Clamp(index, min, max);
    }
}

/// <summary>Runtime objects (cycler, joiner) that expose Python attributes.</summary>
internal abstract class ObjectWithAttributes : Value
{
    public abstract Value? Attribute(string name);

    public virtual bool IsCallable => false;
}

/// <summary>Strings as Python sees them: sequences of code points.</summary>
internal static class CodePoints
{
    public static int[] Of(string s)
    {
        var points = new List<int>(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                points.Add(char.ConvertToUtf32(s[i], s[i + 1]));
                i++;
            }
            else points.Add(s[i]);
        }
        return [.. points];
    }

    /// <summary>The text of one code point; lone surrogates stay as they are.</summary>
    public static string Text(int point) => point is >= 0xD800 and <= 0xDFFF ? ((char)point).ToString() : char.ConvertFromUtf32(point);

    public static int Count(string s)
    {
        var n = s.Length;
        for (var i = 0; i + 1 < s.Length; i++)
            if (char.IsHighSurrogate(s[i]) && char.IsLowSurrogate(s[i + 1])) n--;
        return n;
    }
}
