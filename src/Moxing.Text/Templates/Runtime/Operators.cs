using Moxing.Text.Templates.Syntax;

namespace Moxing.Text.Templates.Runtime;

/// <summary>Python's arithmetic, comparison and membership operators over template values.</summary>
internal static class Operators
{
    public static Value Unary(UnaryOp op, Value operand)
    {
        if (operand is UndefinedValue u) throw u.Fail();
        if (PythonEquality.TryNumber(operand, out var n))
        {
            if (op == UnaryOp.Pos) return n.IsFloat ? new FloatValue(n.Float) : new IntValue(n.Int);
            return n.IsFloat ? new FloatValue(-n.Float) : new IntValue(Checked(() => -n.Int));
        }
        throw new TemplateException($"bad operand type for unary {(op == UnaryOp.Neg ? "-" : "+")}: '{operand.TypeName}'");
    }

    public static Value Binary(Renderer r, BinaryOp op, Value left, Value right)
    {
        if (left is UndefinedValue ul) throw ul.Fail();
        if (right is UndefinedValue ur) throw ur.Fail();
        if (PythonEquality.TryNumber(left, out var a) && PythonEquality.TryNumber(right, out var b)) return Arithmetic(op, a, b);
        switch (op, left, right)
        {
            case (BinaryOp.Add, StringValue x, StringValue y):
                {
                    // Markup + str escapes the str (and str + Markup too), as markupsafe does.
                    var safe = x.IsSafe || y.IsSafe;
                    var left2 = safe ? StringValue.Escape(x).Value : x.Value;
                    var right2 = safe ? StringValue.Escape(y).Value : y.Value;
                    r.CheckLength((long)left2.Length + right2.Length);
                    return new StringValue(left2 + right2, safe);
                }
            case (BinaryOp.Add, ListValue x, ListValue y) when x.Kind == y.Kind && x.IsConcatenable:
                r.CheckListLength((long)x.Count + y.Count);
                return new ListValue([.. x.Items, .. y.Items], x.Kind);
            case (BinaryOp.Add, StringValue, _):
                throw new TemplateException($"can only concatenate str (not \"{right.TypeName}\") to str");
            case (BinaryOp.Add, ListValue { IsConcatenable: true } x, _):
                throw new TemplateException($"can only concatenate {x.TypeName} (not \"{right.TypeName}\") to {x.TypeName}");
            case (BinaryOp.Mul, StringValue or ListValue, IntValue or BoolValue):
                return Repeat(r, left, AsInt(right));
            case (BinaryOp.Mul, IntValue or BoolValue, StringValue or ListValue):
                return Repeat(r, right, AsInt(left));
            case (BinaryOp.Mod, StringValue format, _):
                return new StringValue(PythonFormat.Percent(r, format.Value, right));
        }
        throw new TemplateException($"unsupported operand type(s) for {Symbol(op)}: '{left.TypeName}' and '{right.TypeName}'");
    }

    private static long AsInt(Value v) => v is BoolValue b ? (b.Value ? 1 : 0) : ((IntValue)v).Value;

    private static Value Repeat(Renderer r, Value sequence, long times)
    {
        if (times < 0) times = 0;
        switch (sequence)
        {
            case StringValue s:
                r.CheckLength(s.Value.Length * times);
                return s.Derive(string.Concat(Enumerable.Repeat(s.Value, (int)times)));
            case ListValue { IsConcatenable: true } l:
                r.CheckListLength(l.Count * times);
                var items = new List<Value>((int)(l.Count * times));
                for (var i = 0; i < times; i++) items.AddRange(l.Items);
                return new ListValue(items, l.Kind);
            default:
                throw new TemplateException($"unsupported operand type(s) for *: '{sequence.TypeName}' and 'int'");
        }
    }

    private static string Symbol(BinaryOp op) => op switch
    {
        BinaryOp.Add => "+",
        BinaryOp.Sub => "-",
        BinaryOp.Mul => "*",
        BinaryOp.Div => "/",
        BinaryOp.FloorDiv => "//",
        BinaryOp.Mod => "%",
        _ => "** or pow()",
    };

    private static Value Arithmetic(BinaryOp op, (long Int, double Float, bool IsFloat) a, (long Int, double Float, bool IsFloat) b)
    {
        var isFloat = a.IsFloat || b.IsFloat;
        switch (op)
        {
            case BinaryOp.Add: return isFloat ? new FloatValue(a.Float + b.Float) : new IntValue(Checked(() => checked(a.Int + b.Int)));
            case BinaryOp.Sub: return isFloat ? new FloatValue(a.Float - b.Float) : new IntValue(Checked(() => checked(a.Int - b.Int)));
            case BinaryOp.Mul: return isFloat ? new FloatValue(a.Float * b.Float) : new IntValue(Checked(() => checked(a.Int * b.Int)));
            case BinaryOp.Div:
                if (b.Float == 0) throw new TemplateException(isFloat ? "float division by zero" : "division by zero");
                return new FloatValue(a.Float / b.Float);
            case BinaryOp.FloorDiv:
                if (b.Float == 0) throw new TemplateException(isFloat ? "float floor division by zero" : "integer division or modulo by zero");
                if (isFloat) return new FloatValue(Math.Floor(a.Float / b.Float));
                var q = a.Int / b.Int;
                if ((a.Int % b.Int != 0) && ((a.Int < 0) != (b.Int < 0))) q--;
                return new IntValue(q);
            case BinaryOp.Mod:
                if (b.Float == 0) throw new TemplateException(isFloat ? "float modulo" : "integer modulo by zero");
                if (isFloat)
                {
                    var fm = a.Float % b.Float;
                    if (fm != 0 && (fm < 0) != (b.Float < 0)) fm += b.Float;
                    return new FloatValue(fm);
                }
                var m = a.Int % b.Int;
                if (m != 0 && (m < 0) != (b.Int < 0)) m += b.Int;
                return new IntValue(m);
            default:
                if (!isFloat && b.Int >= 0) return new IntValue(Checked(() => IntPow(a.Int, b.Int)));
                if (a.Float == 0 && b.Float < 0) throw new TemplateException("0.0 cannot be raised to a negative power");
                return new FloatValue(Math.Pow(a.Float, b.Float));
        }
    }

    private static long IntPow(long x, long n)
    {
        long result = 1;
        while (n > 0)
        {
            if ((n & 1) != 0) result = checked(result * x);
            n >>= 1;
            if (n > 0) x = checked(x * x);
        }
        return result;
    }

    private static long Checked(Func<long> compute)
    {
        try
        {
            return compute();
        }
        catch (OverflowException)
        {
            throw new TemplateException("integer result too large for the template engine (64-bit integers)");
        }
    }

    public static bool Compare(Renderer r, CompareOp op, Value left, Value right) => op switch
    {
        CompareOp.Eq => PythonEquality.AreEqual(left, right),
        CompareOp.Ne => !PythonEquality.AreEqual(left, right),
        CompareOp.In => Contains(r, right, left),
        CompareOp.NotIn => !Contains(r, right, left),
        CompareOp.Lt => PythonEquality.Compare(left, right, "<") == -1,
        CompareOp.LtEq => PythonEquality.Compare(left, right, "<=") is -1 or 0,
        CompareOp.Gt => PythonEquality.Compare(left, right, ">") == 1,
        _ => PythonEquality.Compare(left, right, ">=") is 1 or 0,
    };

    /// <summary>Python's <c>item in container</c>.</summary>
    public static bool Contains(Renderer r, Value container, Value item)
    {
        switch (container)
        {
            case StringValue s:
                if (item is not StringValue sub)
                    throw new TemplateException($"'in <string>' requires string as left operand, not {item.TypeName}");
                return s.Value.Contains(sub.Value, StringComparison.Ordinal);
            case ListValue l:
                r.Charge(l.Count);
                return l.Items.Exists(x => PythonEquality.AreEqual(x, item));
            case DictValue d:
                return d.ContainsKey(item);
            case IteratorValue or UndefinedValue:
                foreach (var x in r.Iterate(container))
                {
                    r.Charge();
                    if (PythonEquality.AreEqual(x, item)) return true;
                }
                return false;
            default:
                throw new TemplateException($"argument of type '{container.TypeName}' is not iterable");
        }
    }
}
