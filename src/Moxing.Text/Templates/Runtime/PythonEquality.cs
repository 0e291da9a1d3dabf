namespace Moxing.Text.Templates.Runtime;

/// <summary>Python's <c>==</c>, hashing and ordering for template values.</summary>
internal static class PythonEquality
{
    public static IEqualityComparer<Value> KeyComparer { get; } = new Comparer();

    public static bool AreEqual(Value a, Value b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (TryNumber(a, out var na) && TryNumber(b, out var nb)) return CompareNumbers(na, nb) == 0;
        return (a, b) switch
        {
            (UndefinedValue, UndefinedValue) => true,
            (StringValue x, StringValue y) => x.Value == y.Value,
            (ListValue x, ListValue y) => x.Kind == y.Kind && SequenceEqual(x.Items, y.Items),
            (DictValue x, DictValue y) => DictEqual(x, y),
            _ => false,
        };
    }

    private static bool SequenceEqual(List<Value> x, List<Value> y)
    {
        if (x.Count != y.Count) return false;
        for (var i = 0; i < x.Count; i++)
            if (!AreEqual(x[i], y[i])) return false;
        return true;
    }

    private static bool DictEqual(DictValue x, DictValue y)
    {
        if (x.Count != y.Count) return false;
        foreach (var (k, v) in x.Pairs())
            if (!y.TryGet(k, out var other) || !AreEqual(v, other)) return false;
        return true;
    }

    /// <summary>A number as Python sees it: bools are ints.</summary>
    public static bool TryNumber(Value v, out (long Int, double Float, bool IsFloat) number)
    {
        switch (v)
        {
            case IntValue i: number = (i.Value, i.Value, false); return true;
            case BoolValue b: number = (b.Value ? 1 : 0, b.Value ? 1 : 0, false); return true;
            case FloatValue f: number = (0, f.Value, true); return true;
            default: number = default; return false;
        }
    }

    private static int CompareNumbers((long Int, double Float, bool IsFloat) a, (long Int, double Float, bool IsFloat) b)
    {
        if (!a.IsFloat && !b.IsFloat) return a.Int.CompareTo(b.Int);
        if (a.IsFloat && b.IsFloat) return CompareDoubles(a.Float, b.Float);
        // An int against a float compares exactly, as Python does.
        var (i, f, flip) = a.IsFloat ? (b.Int, a.Float, -1) : (a.Int, b.Float, 1);
        if (double.IsNaN(f)) return 2;
        int r;
        if (f >= 9.2233720368547758e18) r = -1;
        else if (f < -9.2233720368547758e18) r = 1;
        else
        {
            var floor = Math.Floor(f);
            var fl = (long)floor;
            r = i != fl ? i.CompareTo(fl) : (f > floor ? -1 : 0);
        }
        return r * flip;
    }

    /// <summary>Compares doubles; NaN is unordered (returns 2 so that no relation holds).</summary>
    private static int CompareDoubles(double a, double b) => double.IsNaN(a) || double.IsNaN(b) ? 2 : a.CompareTo(b);

    /// <summary>Python ordering for <c>&lt;</c>, <c>&gt;</c>, sort, min and max; returns 2 for unordered NaN.</summary>
    public static int Compare(Value a, Value b, string op)
    {
        if (a is UndefinedValue ua) throw ua.Fail();
        if (b is UndefinedValue ub) throw ub.Fail();
        if (TryNumber(a, out var na) && TryNumber(b, out var nb)) return CompareNumbers(na, nb);
        switch (a, b)
        {
            case (StringValue x, StringValue y): return CompareCodePoints(x.Value, y.Value);
            case (ListValue x, ListValue y) when x.Kind == y.Kind && x.IsSubscriptable:
                for (var i = 0; i < Math.Min(x.Count, y.Count); i++)
                {
                    if (AreEqual(x.Items[i], y.Items[i])) continue;
                    return Compare(x.Items[i], y.Items[i], op);
                }
                return x.Count.CompareTo(y.Count);
        }
        throw new TemplateException($"'{op}' not supported between instances of '{a.TypeName}' and '{b.TypeName}'");
    }

    /// <summary>Orders strings by code point, as Python does (UTF-16 order differs above the surrogates).</summary>
    public static int CompareCodePoints(string a, string b)
    {
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            int ca = a[i], cb = b[i];
            if (ca == cb) continue;
            return Fix(ca).CompareTo(Fix(cb));
        }
        return a.Length.CompareTo(b.Length);

        static int Fix(int c) => c >= 0xE000 ? c - 0x800 : c >= 0xD800 ? c + 0x2000 : c;
    }

    public static bool IsHashable(Value v) => v switch
    {
        ListValue l => l.Kind == SequenceKind.Tuple && l.Items.TrueForAll(IsHashable),
        DictValue => false,
        _ => true,
    };

    public static void EnsureHashable(Value v)
    {
        if (!IsHashable(v))
            throw new TemplateException($"unhashable type: '{(v is ListValue { Kind: SequenceKind.Tuple } ? "list" : v.TypeName)}'");
    }

    private sealed class Comparer : IEqualityComparer<Value>
    {
        public bool Equals(Value? x, Value? y) => x is not null && y is not null && AreEqual(x, y);

        public int GetHashCode(Value v)
        {
            if (TryNumber(v, out var n))
            {
                if (!n.IsFloat) return n.Int.GetHashCode();
                var f = n.Float;
                return f == Math.Floor(f) && Math.Abs(f) < 9.2e18 ? ((long)f).GetHashCode() : f.GetHashCode();
            }
            return v switch
            {
                StringValue s => StringComparer.Ordinal.GetHashCode(s.Value),
                ListValue l => l.Items.Aggregate(17, (h, item) => (h * 31) + GetHashCode(item)),
                UndefinedValue => 1,
                _ => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(v),
            };
        }
    }
}
