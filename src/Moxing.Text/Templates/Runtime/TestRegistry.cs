namespace Moxing.Text.Templates.Runtime;

/// <summary>jinja2's built-in tests (<c>x is defined</c>, <c>x is divisibleby 3</c>, …).</summary>
internal static class TestRegistry
{
    private delegate bool Test(Renderer r, Value input, Arguments args);

    private static readonly Dictionary<string, Test> Tests = new(StringComparer.Ordinal)
    {
        ["odd"] = (r, v, a) => PythonEquality.AreEqual(Modulo(r, v, new IntValue(2), a, "odd"), new IntValue(1)),
        ["even"] = (r, v, a) => IsZero(Modulo(r, v, new IntValue(2), a, "even")),
        ["divisibleby"] = (r, v, a) => IsZero(Modulo(r, v, Required(a, "divisibleby", "num"), Arguments.Empty, "divisibleby")),
        ["defined"] = (_, v, a) => a.NoArgs("defined", v is not UndefinedValue),
        ["undefined"] = (_, v, a) => a.NoArgs("undefined", v is UndefinedValue),
        ["none"] = (_, v, a) => a.NoArgs("none", v is NoneValue),
        ["boolean"] = (_, v, a) => a.NoArgs("boolean", v is BoolValue),
        ["false"] = (_, v, a) => a.NoArgs("false", v is BoolValue { Value: false }),
        ["true"] = (_, v, a) => a.NoArgs("true", v is BoolValue { Value: true }),
        ["integer"] = (_, v, a) => a.NoArgs("integer", v is IntValue),
        ["float"] = (_, v, a) => a.NoArgs("float", v is FloatValue),
        ["number"] = (_, v, a) => a.NoArgs("number", v is IntValue or FloatValue or BoolValue),
        ["string"] = (_, v, a) => a.NoArgs("string", v is StringValue),
        ["mapping"] = (_, v, a) => a.NoArgs("mapping", v is DictValue),
        ["sequence"] = (_, v, a) => a.NoArgs("sequence", v is StringValue or DictValue or UndefinedValue or ListValue { IsSubscriptable: true }),
        ["iterable"] = (_, v, a) => a.NoArgs("iterable", v is StringValue or DictValue or ListValue or IteratorValue or UndefinedValue),
        ["callable"] = (_, v, a) => a.NoArgs("callable", v is CallableValue or LoopValue or ObjectWithAttributes { IsCallable: true }),
        ["lower"] = (_, v, a) => a.NoArgs("lower", StringMethods.IsLower(PythonRepr.Str(v))),
        ["upper"] = (_, v, a) => a.NoArgs("upper", StringMethods.IsUpper(PythonRepr.Str(v))),
        ["sameas"] = (_, v, a) => SameAs(v, Required(a, "sameas", "other")),
        ["escaped"] = (_, v, a) => a.NoArgs("escaped", v is StringValue { IsSafe: true }),
        ["in"] = (r, v, a) => Operators.Contains(r, Required(a, "in", "seq"), v),
        ["filter"] = (_, v, a) => a.NoArgs("filter", v is StringValue s && FilterRegistry.Exists(s.Value)),
        ["test"] = (_, v, a) => a.NoArgs("test", v is StringValue s && Exists(s.Value)),
        ["=="] = Eq,
        ["eq"] = Eq,
        ["equalto"] = Eq,
        ["!="] = (r, v, a) => !Eq(r, v, a),
        ["ne"] = (r, v, a) => !Eq(r, v, a),
        [">"] = (_, v, a) => Order(v, a, ">") == 1,
        ["gt"] = (_, v, a) => Order(v, a, ">") == 1,
        ["greaterthan"] = (_, v, a) => Order(v, a, ">") == 1,
        [">="] = (_, v, a) => Order(v, a, ">=") is 1 or 0,
        ["ge"] = (_, v, a) => Order(v, a, ">=") is 1 or 0,
        ["<"] = (_, v, a) => Order(v, a, "<") == -1,
        ["lt"] = (_, v, a) => Order(v, a, "<") == -1,
        ["lessthan"] = (_, v, a) => Order(v, a, "<") == -1,
        ["<="] = (_, v, a) => Order(v, a, "<=") is -1 or 0,
        ["le"] = (_, v, a) => Order(v, a, "<=") is -1 or 0,
    };

    public static bool Exists(string name) => Tests.ContainsKey(name);

    public static bool Apply(Renderer r, string name, Value input, Arguments args)
    {
        if (!Tests.TryGetValue(name, out var test)) throw new TemplateException($"No test named '{name}'.");
        return test(r, input, args);
    }

    private static Value Required(Arguments a, string name, string parameter) =>
        a.Bind(name, parameter)[0] ?? throw new TemplateException($"test_{name}() missing 1 required positional argument: '{parameter}'");

    private static Value Modulo(Renderer r, Value v, Value divisor, Arguments a, string name)
    {
        a.ExpectNone(name);
        return Operators.Binary(r, Syntax.BinaryOp.Mod, v, divisor);
    }

    private static bool IsZero(Value v) => PythonEquality.AreEqual(v, new IntValue(0));

    private static bool Eq(Renderer r, Value v, Arguments a) => PythonEquality.AreEqual(v, Required(a, "eq", "b"));

    private static int Order(Value v, Arguments a, string op) => PythonEquality.Compare(v, Required(a, op, "b"), op);

    /// <summary>Python <c>is</c>: singletons and small ints are shared, other values only with themselves.</summary>
    private static bool SameAs(Value a, Value b)
    {
        if (ReferenceEquals(a, b)) return true;
        return (a, b) switch
        {
            (IntValue x, IntValue y) => x.Value == y.Value && x.Value is >= -5 and <= 256,
            (StringValue x, StringValue y) => x.Value == y.Value && x.Value.Length <= 1,
            _ => false,
        };
    }
}
